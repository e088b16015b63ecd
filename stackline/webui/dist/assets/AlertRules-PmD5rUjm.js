import{r as e}from"./rolldown-runtime-XKyaHtl9.js";import{s as t,u as n}from"./preload-helper-CtaAo5cR.js";import{_ as r,a as i,d as a,g as o,h as s,i as c,r as l,s as u,t as d}from"./time-B_4i5suD.js";import{_ as f,a as p,c as m,f as h,g,h as _,i as v,l as y,n as b,o as x,r as S,s as C,t as w,u as T}from"./problems-4tyH96Pd.js";import{o as E}from"./index-LckdQNb6.js";/* empty css                 */var D=e(n(),1),O=t();function k({initial:e,webhooks:t,title:n,submitLabel:r,busy:a,errors:o,onDismissErrors:s,onSubmit:c,onCancel:l}){let[u,d]=(0,D.useState)(e),f=(e,t)=>d({...u,channels:u.channels.map((n,r)=>r===e?t:n)});return(0,O.jsxs)(`form`,{className:`card rule-editor`,"aria-label":n,onSubmit:e=>{e.preventDefault(),c(u)},children:[(0,O.jsx)(`div`,{className:`card-header`,children:(0,O.jsx)(`h2`,{children:n})}),(0,O.jsxs)(`div`,{className:`pad form`,children:[(0,O.jsxs)(`div`,{className:`form-grid two`,children:[(0,O.jsxs)(`label`,{children:[(0,O.jsx)(`span`,{className:`field-label`,children:`Name`}),(0,O.jsx)(`input`,{type:`text`,value:u.name,placeholder:`Checkout errors to on-call`,onChange:e=>d({...u,name:e.target.value})})]}),(0,O.jsxs)(`label`,{children:[(0,O.jsx)(`span`,{className:`field-label`,children:`At most one notification per issue every (minutes)`}),(0,O.jsx)(`input`,{type:`number`,min:1,className:`num-input wide`,value:u.actionIntervalMinutes,onChange:e=>d({...u,actionIntervalMinutes:e.target.value})})]})]}),(0,O.jsxs)(`fieldset`,{className:`group`,children:[(0,O.jsx)(`legend`,{children:`When any of these happens`}),S.map(({kind:e,label:t,frequency:n})=>{let r=u.conditions[e],i=t=>d({...u,conditions:{...u.conditions,[e]:{...r,...t}}});return(0,O.jsxs)(`div`,{className:`condition`,children:[(0,O.jsxs)(`label`,{className:`check-inline`,children:[(0,O.jsx)(`input`,{type:`checkbox`,checked:r.on,onChange:e=>i({on:e.target.checked})}),t]}),n&&(0,O.jsxs)(O.Fragment,{children:[(0,O.jsx)(`input`,{type:`number`,min:0,className:`num-input`,"aria-label":`${e} threshold`,value:r.threshold,disabled:!r.on,onChange:e=>i({threshold:e.target.value})}),(0,O.jsx)(`span`,{children:e===`EVENT_FREQUENCY`?`times in`:`see an issue in`}),(0,O.jsx)(`input`,{type:`number`,min:1,className:`num-input`,"aria-label":`${e} window in minutes`,value:r.windowMinutes,disabled:!r.on,onChange:e=>i({windowMinutes:e.target.value})}),(0,O.jsx)(`span`,{children:`minutes`})]})]},e)})]}),(0,O.jsxs)(`fieldset`,{className:`group`,children:[(0,O.jsx)(`legend`,{children:`Only if all of these hold`}),(0,O.jsxs)(`div`,{className:`condition`,children:[(0,O.jsx)(`span`,{className:`field-label inline`,children:`Levels`}),v.map(e=>(0,O.jsxs)(`label`,{className:`check-inline`,children:[(0,O.jsx)(`input`,{type:`checkbox`,checked:u.levels.includes(e),onChange:t=>d({...u,levels:t.target.checked?[...u.levels,e]:u.levels.filter(t=>t!==e)})}),e]},e)),(0,O.jsx)(`span`,{className:`muted small`,children:`none checked: any level`})]}),(0,O.jsxs)(`div`,{className:`form-grid`,children:[(0,O.jsxs)(`label`,{children:[(0,O.jsx)(`span`,{className:`field-label`,children:`Environment`}),(0,O.jsx)(`input`,{type:`text`,value:u.environment,placeholder:`any (prod* matches)`,onChange:e=>d({...u,environment:e.target.value})})]}),(0,O.jsxs)(`label`,{children:[(0,O.jsx)(`span`,{className:`field-label`,children:`Release`}),(0,O.jsx)(`input`,{type:`text`,value:u.release,placeholder:`any (web@2.* matches)`,onChange:e=>d({...u,release:e.target.value})})]}),(0,O.jsxs)(`label`,{children:[(0,O.jsx)(`span`,{className:`field-label`,children:`Tags (key:value, one per line)`}),(0,O.jsx)(`textarea`,{rows:2,value:u.tags,placeholder:`browser:Firefox`,onChange:e=>d({...u,tags:e.target.value})})]})]}),(0,O.jsxs)(`label`,{children:[(0,O.jsx)(`span`,{className:`field-label`,children:`Issue search`}),(0,O.jsx)(`input`,{type:`text`,className:`mono-input`,value:u.query,placeholder:`is:unresolved level:error checkout`,onChange:e=>d({...u,query:e.target.value})})]}),(0,O.jsxs)(`label`,{children:[(0,O.jsx)(`span`,{className:`field-label`,children:`Monitors (slugs; empty: any, for the monitor conditions)`}),(0,O.jsx)(`input`,{type:`text`,className:`mono-input`,value:u.monitorSlugs,placeholder:`nightly-backup, billing-sync`,onChange:e=>d({...u,monitorSlugs:e.target.value})})]})]}),(0,O.jsxs)(`fieldset`,{className:`group`,children:[(0,O.jsx)(`legend`,{children:`Then notify`}),u.channels.length===0&&(0,O.jsx)(`p`,{className:`muted small`,children:`No channel: nobody would be told.`}),u.channels.map((e,n)=>(0,O.jsxs)(`div`,{className:`channel`,children:[(0,O.jsx)(`select`,{className:`btn`,"aria-label":`Channel ${n+1} kind`,value:e.kind,onChange:e=>f(n,{...C(e.target.value)}),children:b.map(e=>(0,O.jsx)(`option`,{value:e.kind,children:e.label},e.kind))}),e.kind===`EMAIL`&&(0,O.jsx)(`input`,{type:`text`,"aria-label":`Channel ${n+1} e-mail addresses`,placeholder:`oncall@example.com, dev@example.com`,value:e.emails,onChange:t=>f(n,{...e,emails:t.target.value})}),e.kind===`SLACK`&&(0,O.jsx)(`input`,{type:`text`,"aria-label":`Channel ${n+1} Slack webhook URL`,placeholder:`https://hooks.slack.com/services/…`,value:e.url,onChange:t=>f(n,{...e,url:t.target.value})}),e.kind===`WEBHOOK`&&(0,O.jsxs)(`select`,{className:`btn`,"aria-label":`Channel ${n+1} webhook`,value:e.webhookId,onChange:t=>f(n,{...e,webhookId:t.target.value}),children:[(0,O.jsx)(`option`,{value:``,children:t.length?`Choose a webhook…`:`No webhooks: add one in the settings`}),t.map(e=>(0,O.jsxs)(`option`,{value:e.id,children:[e.url,e.description?` (${e.description})`:``,e.isActive?``:` (paused)`]},e.id))]}),(0,O.jsx)(`button`,{type:`button`,className:`btn btn-small`,"aria-label":`Remove channel ${n+1}`,onClick:()=>d({...u,channels:u.channels.filter((e,t)=>t!==n)}),children:`Remove`})]},n)),(0,O.jsx)(`button`,{type:`button`,className:`btn btn-small`,onClick:()=>d({...u,channels:[...u.channels,C()]}),children:`+ Add a channel`})]}),(0,O.jsxs)(`label`,{className:`check-inline`,children:[(0,O.jsx)(`input`,{type:`checkbox`,checked:u.enabled,onChange:e=>d({...u,enabled:e.target.checked})}),`Enabled`]}),(0,O.jsx)(i,{userErrors:o,onDismiss:s}),(0,O.jsxs)(`div`,{className:`form-actions`,children:[(0,O.jsx)(`button`,{type:`button`,className:`btn`,onClick:l,children:`Cancel`}),(0,O.jsx)(`button`,{type:`submit`,className:`btn btn-primary`,disabled:a,children:r})]})]})]})}var A=c(`
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
          monitorSlugs
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
              monitorSlug
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
`),j=c(`
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
`),M=c(`
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
`),N=c(`
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
`);function P(){let{org:e,project:t}=a(),[{data:n,error:c,fetching:l}]=r({query:A,variables:{org:e,project:t}}),u=s(),{access:d}=h(e),p=_(d,`project:write`),v=f(d,`project:write`),[b,x]=(0,D.useState)(null),[S,C]=(0,D.useState)([]),[E,P]=(0,D.useState)([]),[{fetching:I},L]=o(j),[{fetching:R},z]=o(M),[,B]=o(N),V=()=>u.query(A,{org:e,project:t},{requestPolicy:`network-only`}).toPromise(),H=n?.project;if(c&&!H)return(0,O.jsx)(`div`,{className:`page`,children:(0,O.jsx)(i,{error:c})});if(l&&!H)return(0,O.jsx)(`div`,{className:`page muted`,children:`Loading…`});if(!H)return(0,O.jsx)(`div`,{className:`page`,children:(0,O.jsx)(i,{userErrors:[{message:`project not found`}]})});async function U(e,t){let n=y(e),r=t?await z({input:{id:t,...n}}):await L({input:{projectId:H.id,...n}}),i=r.data?`createAlertRule`in r.data?r.data.createAlertRule:r.data.updateAlertRule:null,a=w(r,i);C(a),a.length||(await V(),x(null))}async function W(e){let t=await e();P(t),t.length||await V()}let G=e=>(0,O.jsx)(k,{initial:e?T(e):m(),webhooks:H.webhooks,title:e?`Edit “${e.name}”`:`New alert rule`,submitLabel:e?`Save rule`:`Create rule`,busy:I||R,errors:S,onDismissErrors:()=>C([]),onSubmit:t=>U(t,e?.id??null),onCancel:()=>{x(null),C([])}},e?.id??`new`);return(0,O.jsxs)(`div`,{className:`page alerts-page`,children:[(0,O.jsxs)(`div`,{className:`page-header`,children:[(0,O.jsxs)(`h1`,{children:[`Alert rules `,(0,O.jsxs)(`span`,{className:`muted`,children:[`· `,H.name||H.slug]})]}),(0,O.jsx)(`div`,{className:`spacer`}),(0,O.jsx)(`button`,{className:`btn btn-primary`,disabled:!p||b===`new`,title:v,onClick:()=>{C([]),x(`new`)},children:`New alert rule`})]}),d&&!p&&(0,O.jsxs)(`div`,{className:`notice`,role:`note`,children:[g(v),`: you can read this project's alert rules but not change them.`]}),(0,O.jsx)(i,{userErrors:E,onDismiss:()=>P([])}),b===`new`&&G(null),H.alertRules.length===0&&b!==`new`&&(0,O.jsxs)(`div`,{className:`card empty`,children:[(0,O.jsx)(`p`,{children:`No alert rules yet: nobody is told when this project's issues appear or regress.`}),(0,O.jsx)(`p`,{className:`muted small`,children:`A rule fires on any of its conditions, if all its filters hold, and notifies by e-mail, Slack or a signed webhook.`})]}),H.alertRules.map(n=>b===n.id?G(n):(0,O.jsx)(F,{org:e,project:t,rule:n,webhooks:H.webhooks,writable:p,why:v,onEdit:()=>{C([]),x(n.id)},onToggle:()=>W(async()=>{let e=await z({input:{id:n.id,enabled:!n.enabled}});return w(e,e.data?.updateAlertRule)}),onDelete:()=>{window.confirm(`Delete the alert rule “${n.name}”? It notifies nobody any more.`)&&W(async()=>{let e=await B({input:{id:n.id}});return w(e,e.data?.deleteAlertRule)})}},n.id))]})}function F({org:e,project:t,rule:n,webhooks:r,writable:i,why:a,onEdit:o,onToggle:s,onDelete:c}){let[f,m]=(0,D.useState)(null),h=f??n.enabled,g=n.filters,_=[g.levels.length?`level ${g.levels.join(` or `)}`:null,g.environment?`environment ${g.environment}`:null,g.release?`release ${g.release}`:null,...g.tags.map(e=>`tag ${e}`),g.query?`matches “${g.query}”`:null,g.monitorSlugs.length?`monitor ${g.monitorSlugs.join(` or `)}`:null].filter(Boolean),v=e=>e.kind===`EMAIL`?`e-mail ${e.emails.join(`, `)}`:e.kind===`SLACK`?`Slack ${e.url}`:`webhook ${r.find(t=>t.id===e.webhookId)?.url??e.webhookId}`,y=n.notifications.edges.filter(e=>e.node.status===`FAILED`).length;return(0,O.jsxs)(`section`,{className:n.enabled?`card rule`:`card rule disabled`,"data-rule":n.name,children:[(0,O.jsxs)(`div`,{className:`card-header`,children:[(0,O.jsxs)(`div`,{className:`rule-title`,children:[(0,O.jsx)(`span`,{className:`rule-name`,children:n.name}),` `,!n.enabled&&(0,O.jsx)(`span`,{className:`status`,children:`disabled`}),y>0&&(0,O.jsxs)(`span`,{className:`status sub-regressed`,children:[y,` failed`]})]}),(0,O.jsxs)(`div`,{className:`row-actions`,children:[(0,O.jsxs)(`label`,{className:`switch`,title:a,children:[(0,O.jsx)(`input`,{type:`checkbox`,checked:h,disabled:!i||f!==null,"aria-label":`${n.name} enabled`,onChange:async e=>{m(e.target.checked),await s(),m(null)}}),(0,O.jsx)(`span`,{children:h?`enabled`:`disabled`})]}),(0,O.jsx)(`button`,{className:`btn btn-small`,disabled:!i,title:a,onClick:o,children:`Edit`}),(0,O.jsx)(`button`,{className:`btn btn-small btn-danger`,disabled:!i,title:a,onClick:c,children:`Delete`})]})]}),(0,O.jsxs)(`dl`,{className:`rule-summary pad`,children:[(0,O.jsx)(`dt`,{children:`When`}),(0,O.jsx)(`dd`,{children:n.conditions.map(p).join(`, or `)}),(0,O.jsx)(`dt`,{children:`If`}),(0,O.jsx)(`dd`,{children:_.length?_.join(`, and `):(0,O.jsx)(`span`,{className:`muted`,children:`always`})}),(0,O.jsx)(`dt`,{children:`Then`}),(0,O.jsxs)(`dd`,{children:[n.channels.map(v).join(`; `),` `,(0,O.jsxs)(`span`,{className:`muted`,children:[`· at most once per issue or monitor every `,x(n.actionIntervalMinutes)]})]})]}),(0,O.jsxs)(`div`,{className:`notifications`,children:[(0,O.jsxs)(`h3`,{className:`pad-x`,children:[`Recent notifications `,(0,O.jsxs)(`span`,{className:`muted small`,children:[`(`,n.notifications.totalCount,` in all)`]})]}),n.notifications.edges.length===0?(0,O.jsx)(`p`,{className:`muted small pad-x`,children:`None yet.`}):(0,O.jsxs)(`table`,{className:`table`,children:[(0,O.jsx)(`thead`,{children:(0,O.jsxs)(`tr`,{children:[(0,O.jsx)(`th`,{children:`Status`}),(0,O.jsx)(`th`,{children:`Trigger`}),(0,O.jsx)(`th`,{children:`To`}),(0,O.jsx)(`th`,{children:`Issue`}),(0,O.jsx)(`th`,{className:`num`,children:`Attempts`}),(0,O.jsx)(`th`,{children:`When`})]})}),(0,O.jsx)(`tbody`,{children:n.notifications.edges.map(({node:n})=>(0,O.jsxs)(`tr`,{className:`notification notification-${n.status.toLowerCase()}`,children:[(0,O.jsxs)(`td`,{children:[(0,O.jsx)(`span`,{className:`delivery delivery-${n.status.toLowerCase()}`,children:n.status.toLowerCase()}),n.lastError&&(0,O.jsx)(`div`,{className:`form-error small`,children:n.lastError}),n.status===`PENDING`&&n.nextAttemptAt&&(0,O.jsxs)(`div`,{className:`muted small`,children:[`next try `,d(n.nextAttemptAt)]})]}),(0,O.jsx)(`td`,{className:`small`,children:n.trigger.toLowerCase().replaceAll(`_`,` `)}),(0,O.jsxs)(`td`,{className:`small`,children:[n.channel.toLowerCase(),` `,(0,O.jsx)(`span`,{className:`muted`,children:n.target})]}),(0,O.jsx)(`td`,{className:`small`,children:n.issueId?(0,O.jsx)(u,{href:E.issue(e,t,n.issueId),children:`issue`}):(0,O.jsxs)(u,{href:E.project(e,t),children:[`monitor `,n.monitorSlug]})}),(0,O.jsx)(`td`,{className:`num`,children:n.attempts}),(0,O.jsx)(`td`,{className:`small muted`,title:d(n.sentAt??n.lastAttemptAt??n.triggeredAt),children:l(n.triggeredAt)})]},n.notificationId))})]})]})]})}export{P as AlertRulesPage};