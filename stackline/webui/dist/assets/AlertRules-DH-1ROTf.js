import{n as e}from"./rolldown-runtime-WkwZ5CU-.js";import{J as t,_ as n,a as r,c as i,f as a,g as o,i as s,r as c,s as l,t as u,v as d}from"./time-B-upYBYj.js";import{a as f,c as p,f as m,g as h,h as g,i as _,l as v,n as y,o as b,r as x,s as S,t as C,u as w}from"./problems-DGnIV5d1.js";import{o as T}from"./index-Bagm7agf.js";/* empty css                 */var E=e(t(),1),D=l();function O({initial:e,webhooks:t,title:n,submitLabel:i,busy:a,errors:o,onDismissErrors:s,onSubmit:c,onCancel:l}){let[u,d]=(0,E.useState)(e),f=(e,t)=>d({...u,channels:u.channels.map((n,r)=>r===e?t:n)});return(0,D.jsxs)(`form`,{className:`card rule-editor`,"aria-label":n,onSubmit:e=>{e.preventDefault(),c(u)},children:[(0,D.jsx)(`div`,{className:`card-header`,children:(0,D.jsx)(`h2`,{children:n})}),(0,D.jsxs)(`div`,{className:`pad form`,children:[(0,D.jsxs)(`div`,{className:`form-grid two`,children:[(0,D.jsxs)(`label`,{children:[(0,D.jsx)(`span`,{className:`field-label`,children:`Name`}),(0,D.jsx)(`input`,{type:`text`,value:u.name,placeholder:`Checkout errors to on-call`,onChange:e=>d({...u,name:e.target.value})})]}),(0,D.jsxs)(`label`,{children:[(0,D.jsx)(`span`,{className:`field-label`,children:`At most one notification per issue every (minutes)`}),(0,D.jsx)(`input`,{type:`number`,min:1,className:`num-input wide`,value:u.actionIntervalMinutes,onChange:e=>d({...u,actionIntervalMinutes:e.target.value})})]})]}),(0,D.jsxs)(`fieldset`,{className:`group`,children:[(0,D.jsx)(`legend`,{children:`When any of these happens`}),x.map(({kind:e,label:t,frequency:n})=>{let r=u.conditions[e],i=t=>d({...u,conditions:{...u.conditions,[e]:{...r,...t}}});return(0,D.jsxs)(`div`,{className:`condition`,children:[(0,D.jsxs)(`label`,{className:`check-inline`,children:[(0,D.jsx)(`input`,{type:`checkbox`,checked:r.on,onChange:e=>i({on:e.target.checked})}),t]}),n&&(0,D.jsxs)(D.Fragment,{children:[(0,D.jsx)(`input`,{type:`number`,min:0,className:`num-input`,"aria-label":`${e} threshold`,value:r.threshold,disabled:!r.on,onChange:e=>i({threshold:e.target.value})}),(0,D.jsx)(`span`,{children:e===`EVENT_FREQUENCY`?`times in`:`see an issue in`}),(0,D.jsx)(`input`,{type:`number`,min:1,className:`num-input`,"aria-label":`${e} window in minutes`,value:r.windowMinutes,disabled:!r.on,onChange:e=>i({windowMinutes:e.target.value})}),(0,D.jsx)(`span`,{children:`minutes`})]})]},e)})]}),(0,D.jsxs)(`fieldset`,{className:`group`,children:[(0,D.jsx)(`legend`,{children:`Only if all of these hold`}),(0,D.jsxs)(`div`,{className:`condition`,children:[(0,D.jsx)(`span`,{className:`field-label inline`,children:`Levels`}),_.map(e=>(0,D.jsxs)(`label`,{className:`check-inline`,children:[(0,D.jsx)(`input`,{type:`checkbox`,checked:u.levels.includes(e),onChange:t=>d({...u,levels:t.target.checked?[...u.levels,e]:u.levels.filter(t=>t!==e)})}),e]},e)),(0,D.jsx)(`span`,{className:`muted small`,children:`none checked: any level`})]}),(0,D.jsxs)(`div`,{className:`form-grid`,children:[(0,D.jsxs)(`label`,{children:[(0,D.jsx)(`span`,{className:`field-label`,children:`Environment`}),(0,D.jsx)(`input`,{type:`text`,value:u.environment,placeholder:`any (prod* matches)`,onChange:e=>d({...u,environment:e.target.value})})]}),(0,D.jsxs)(`label`,{children:[(0,D.jsx)(`span`,{className:`field-label`,children:`Release`}),(0,D.jsx)(`input`,{type:`text`,value:u.release,placeholder:`any (web@2.* matches)`,onChange:e=>d({...u,release:e.target.value})})]}),(0,D.jsxs)(`label`,{children:[(0,D.jsx)(`span`,{className:`field-label`,children:`Tags (key:value, one per line)`}),(0,D.jsx)(`textarea`,{rows:2,value:u.tags,placeholder:`browser:Firefox`,onChange:e=>d({...u,tags:e.target.value})})]})]}),(0,D.jsxs)(`label`,{children:[(0,D.jsx)(`span`,{className:`field-label`,children:`Issue search`}),(0,D.jsx)(`input`,{type:`text`,className:`mono-input`,value:u.query,placeholder:`is:unresolved level:error checkout`,onChange:e=>d({...u,query:e.target.value})})]})]}),(0,D.jsxs)(`fieldset`,{className:`group`,children:[(0,D.jsx)(`legend`,{children:`Then notify`}),u.channels.length===0&&(0,D.jsx)(`p`,{className:`muted small`,children:`No channel: nobody would be told.`}),u.channels.map((e,n)=>(0,D.jsxs)(`div`,{className:`channel`,children:[(0,D.jsx)(`select`,{className:`btn`,"aria-label":`Channel ${n+1} kind`,value:e.kind,onChange:e=>f(n,{...S(e.target.value)}),children:y.map(e=>(0,D.jsx)(`option`,{value:e.kind,children:e.label},e.kind))}),e.kind===`EMAIL`&&(0,D.jsx)(`input`,{type:`text`,"aria-label":`Channel ${n+1} e-mail addresses`,placeholder:`oncall@example.com, dev@example.com`,value:e.emails,onChange:t=>f(n,{...e,emails:t.target.value})}),e.kind===`SLACK`&&(0,D.jsx)(`input`,{type:`text`,"aria-label":`Channel ${n+1} Slack webhook URL`,placeholder:`https://hooks.slack.com/services/…`,value:e.url,onChange:t=>f(n,{...e,url:t.target.value})}),e.kind===`WEBHOOK`&&(0,D.jsxs)(`select`,{className:`btn`,"aria-label":`Channel ${n+1} webhook`,value:e.webhookId,onChange:t=>f(n,{...e,webhookId:t.target.value}),children:[(0,D.jsx)(`option`,{value:``,children:t.length?`Choose a webhook…`:`No webhooks: add one in the settings`}),t.map(e=>(0,D.jsxs)(`option`,{value:e.id,children:[e.url,e.description?` (${e.description})`:``,e.isActive?``:` (paused)`]},e.id))]}),(0,D.jsx)(`button`,{type:`button`,className:`btn btn-small`,"aria-label":`Remove channel ${n+1}`,onClick:()=>d({...u,channels:u.channels.filter((e,t)=>t!==n)}),children:`Remove`})]},n)),(0,D.jsx)(`button`,{type:`button`,className:`btn btn-small`,onClick:()=>d({...u,channels:[...u.channels,S()]}),children:`+ Add a channel`})]}),(0,D.jsxs)(`label`,{className:`check-inline`,children:[(0,D.jsx)(`input`,{type:`checkbox`,checked:u.enabled,onChange:e=>d({...u,enabled:e.target.checked})}),`Enabled`]}),(0,D.jsx)(r,{userErrors:o,onDismiss:s}),(0,D.jsxs)(`div`,{className:`form-actions`,children:[(0,D.jsx)(`button`,{type:`button`,className:`btn`,onClick:l,children:`Cancel`}),(0,D.jsx)(`button`,{type:`submit`,className:`btn btn-primary`,disabled:a,children:i})]})]})]})}var k=s(`
  query AlertRules($org: String!, $project: String!) {
    project(organizationSlug: $org, slug: $project) {
      id
      slug
      name
      webhooks {
        id
        url
        description
        isActive
      }
      alertRules {
        id
        name
        conditions {
          kind
          threshold
          windowMinutes
        }
        filters {
          levels
          environment
          release
          tags
          query
        }
        actionIntervalMinutes
        channels {
          kind
          emails
          url
          webhookId
        }
        enabled
        createdAt
        updatedAt
        notifications(first: 10) {
          totalCount
          edges {
            node {
              notificationId
              trigger
              channel
              target
              issueId
              status
              attempts
              lastError
              triggeredAt
              lastAttemptAt
              nextAttemptAt
              sentAt
            }
          }
        }
      }
    }
  }
`),A=s(`
  mutation CreateAlertRule($input: CreateAlertRuleInput!) {
    createAlertRule(input: $input) {
      alertRule {
        id
        name
      }
      userErrors {
        message
        field
        code
      }
    }
  }
`),j=s(`
  mutation UpdateAlertRule($input: UpdateAlertRuleInput!) {
    updateAlertRule(input: $input) {
      alertRule {
        id
        enabled
      }
      userErrors {
        message
        field
        code
      }
    }
  }
`),M=s(`
  mutation DeleteAlertRule($input: DeleteAlertRuleInput!) {
    deleteAlertRule(input: $input) {
      deletedAlertRuleId
      userErrors {
        message
        field
        code
      }
    }
  }
`);function N(){let{org:e,project:t}=a(),[{data:i,error:s,fetching:c}]=d({query:k,variables:{org:e,project:t}}),l=o(),{access:u}=m(e),f=g(u,`project:write`),_=h(u,`project:write`),[y,b]=(0,E.useState)(null),[x,S]=(0,E.useState)([]),[T,N]=(0,E.useState)([]),[{fetching:F},I]=n(A),[{fetching:L},R]=n(j),[,z]=n(M),B=()=>l.query(k,{org:e,project:t},{requestPolicy:`network-only`}).toPromise(),V=i?.project;if(s&&!V)return(0,D.jsx)(`div`,{className:`page`,children:(0,D.jsx)(r,{error:s})});if(c&&!V)return(0,D.jsx)(`div`,{className:`page muted`,children:`Loading…`});if(!V)return(0,D.jsx)(`div`,{className:`page`,children:(0,D.jsx)(r,{userErrors:[{message:`project not found`}]})});async function H(e,t){let n=v(e),r=t?await R({input:{id:t,...n}}):await I({input:{projectId:V.id,...n}}),i=r.data?`createAlertRule`in r.data?r.data.createAlertRule:r.data.updateAlertRule:null,a=C(r,i);S(a),a.length||(await B(),b(null))}async function U(e){let t=await e();N(t),t.length||await B()}let W=e=>(0,D.jsx)(O,{initial:e?w(e):p(),webhooks:V.webhooks,title:e?`Edit “${e.name}”`:`New alert rule`,submitLabel:e?`Save rule`:`Create rule`,busy:F||L,errors:x,onDismissErrors:()=>S([]),onSubmit:t=>H(t,e?.id??null),onCancel:()=>{b(null),S([])}},e?.id??`new`);return(0,D.jsxs)(`div`,{className:`page alerts-page`,children:[(0,D.jsxs)(`div`,{className:`page-header`,children:[(0,D.jsxs)(`h1`,{children:[`Alert rules `,(0,D.jsxs)(`span`,{className:`muted`,children:[`· `,V.name||V.slug]})]}),(0,D.jsx)(`div`,{className:`spacer`}),(0,D.jsx)(`button`,{className:`btn btn-primary`,disabled:!f||y===`new`,title:_,onClick:()=>{S([]),b(`new`)},children:`New alert rule`})]}),u&&!f&&(0,D.jsxs)(`div`,{className:`notice`,role:`note`,children:[_,`: you can read this project's alert rules but not change them.`]}),(0,D.jsx)(r,{userErrors:T,onDismiss:()=>N([])}),y===`new`&&W(null),V.alertRules.length===0&&y!==`new`&&(0,D.jsxs)(`div`,{className:`card empty`,children:[(0,D.jsx)(`p`,{children:`No alert rules yet: nobody is told when this project's issues appear or regress.`}),(0,D.jsx)(`p`,{className:`muted small`,children:`A rule fires on any of its conditions, if all its filters hold, and notifies by e-mail, Slack or a signed webhook.`})]}),V.alertRules.map(n=>y===n.id?W(n):(0,D.jsx)(P,{org:e,project:t,rule:n,webhooks:V.webhooks,writable:f,why:_,onEdit:()=>{S([]),b(n.id)},onToggle:()=>U(async()=>{let e=await R({input:{id:n.id,enabled:!n.enabled}});return C(e,e.data?.updateAlertRule)}),onDelete:()=>{window.confirm(`Delete the alert rule “${n.name}”? It notifies nobody any more.`)&&U(async()=>{let e=await z({input:{id:n.id}});return C(e,e.data?.deleteAlertRule)})}},n.id))]})}function P({org:e,project:t,rule:n,webhooks:r,writable:a,why:o,onEdit:s,onToggle:l,onDelete:d}){let[p,m]=(0,E.useState)(null),h=p??n.enabled,g=n.filters,_=[g.levels.length?`level ${g.levels.join(` or `)}`:null,g.environment?`environment ${g.environment}`:null,g.release?`release ${g.release}`:null,...g.tags.map(e=>`tag ${e}`),g.query?`matches “${g.query}”`:null].filter(Boolean),v=e=>e.kind===`EMAIL`?`e-mail ${e.emails.join(`, `)}`:e.kind===`SLACK`?`Slack ${e.url}`:`webhook ${r.find(t=>t.id===e.webhookId)?.url??e.webhookId}`,y=n.notifications.edges.filter(e=>e.node.status===`FAILED`).length;return(0,D.jsxs)(`section`,{className:n.enabled?`card rule`:`card rule disabled`,"data-rule":n.name,children:[(0,D.jsxs)(`div`,{className:`card-header`,children:[(0,D.jsxs)(`div`,{className:`rule-title`,children:[(0,D.jsx)(`span`,{className:`rule-name`,children:n.name}),` `,!n.enabled&&(0,D.jsx)(`span`,{className:`status`,children:`disabled`}),y>0&&(0,D.jsxs)(`span`,{className:`status sub-regressed`,children:[y,` failed`]})]}),(0,D.jsxs)(`div`,{className:`row-actions`,children:[(0,D.jsxs)(`label`,{className:`switch`,title:o,children:[(0,D.jsx)(`input`,{type:`checkbox`,checked:h,disabled:!a||p!==null,"aria-label":`${n.name} enabled`,onChange:async e=>{m(e.target.checked),await l(),m(null)}}),(0,D.jsx)(`span`,{children:h?`enabled`:`disabled`})]}),(0,D.jsx)(`button`,{className:`btn btn-small`,disabled:!a,title:o,onClick:s,children:`Edit`}),(0,D.jsx)(`button`,{className:`btn btn-small btn-danger`,disabled:!a,title:o,onClick:d,children:`Delete`})]})]}),(0,D.jsxs)(`dl`,{className:`rule-summary pad`,children:[(0,D.jsx)(`dt`,{children:`When`}),(0,D.jsx)(`dd`,{children:n.conditions.map(f).join(`, or `)}),(0,D.jsx)(`dt`,{children:`If`}),(0,D.jsx)(`dd`,{children:_.length?_.join(`, and `):(0,D.jsx)(`span`,{className:`muted`,children:`always`})}),(0,D.jsx)(`dt`,{children:`Then`}),(0,D.jsxs)(`dd`,{children:[n.channels.map(v).join(`; `),` `,(0,D.jsxs)(`span`,{className:`muted`,children:[`· at most once per issue every `,b(n.actionIntervalMinutes)]})]})]}),(0,D.jsxs)(`div`,{className:`notifications`,children:[(0,D.jsxs)(`h3`,{className:`pad-x`,children:[`Recent notifications `,(0,D.jsxs)(`span`,{className:`muted small`,children:[`(`,n.notifications.totalCount,` in all)`]})]}),n.notifications.edges.length===0?(0,D.jsx)(`p`,{className:`muted small pad-x`,children:`None yet.`}):(0,D.jsxs)(`table`,{className:`table`,children:[(0,D.jsx)(`thead`,{children:(0,D.jsxs)(`tr`,{children:[(0,D.jsx)(`th`,{children:`Status`}),(0,D.jsx)(`th`,{children:`Trigger`}),(0,D.jsx)(`th`,{children:`To`}),(0,D.jsx)(`th`,{children:`Issue`}),(0,D.jsx)(`th`,{className:`num`,children:`Attempts`}),(0,D.jsx)(`th`,{children:`When`})]})}),(0,D.jsx)(`tbody`,{children:n.notifications.edges.map(({node:n})=>(0,D.jsxs)(`tr`,{className:`notification notification-${n.status.toLowerCase()}`,children:[(0,D.jsxs)(`td`,{children:[(0,D.jsx)(`span`,{className:`delivery delivery-${n.status.toLowerCase()}`,children:n.status.toLowerCase()}),n.lastError&&(0,D.jsx)(`div`,{className:`form-error small`,children:n.lastError}),n.status===`PENDING`&&n.nextAttemptAt&&(0,D.jsxs)(`div`,{className:`muted small`,children:[`next try `,u(n.nextAttemptAt)]})]}),(0,D.jsx)(`td`,{className:`small`,children:n.trigger.toLowerCase().replace(`_`,` `)}),(0,D.jsxs)(`td`,{className:`small`,children:[n.channel.toLowerCase(),` `,(0,D.jsx)(`span`,{className:`muted`,children:n.target})]}),(0,D.jsx)(`td`,{className:`small`,children:(0,D.jsx)(i,{href:T.issue(e,t,n.issueId),children:`issue`})}),(0,D.jsx)(`td`,{className:`num`,children:n.attempts}),(0,D.jsx)(`td`,{className:`small muted`,title:u(n.sentAt??n.lastAttemptAt??n.triggeredAt),children:c(n.triggeredAt)})]},n.notificationId))})]})]})]})}export{N as AlertRulesPage};