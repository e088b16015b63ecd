import{r as e}from"./rolldown-runtime-XKyaHtl9.js";import{_ as t,a as n,d as r,g as i,i as a,r as o,t as s}from"./time-B_4i5suD.js";import{_ as c,d as l,f as u,g as d,h as f,m as p,p as m,t as h}from"./problems-4tyH96Pd.js";import{s as g,u as _}from"./preload-helper-CtaAo5cR.js";/* empty css                 */var v=e(_(),1);function y(e,t){let n=(e??``).toLowerCase();return n.startsWith(`javascript`)||n===`browser`||n===`react`||n===`vue`?{language:`JavaScript (browser)`,install:`npm install @sentry/browser`,code:`import * as Sentry from "@sentry/browser";\n\nSentry.init({\n  dsn: ${JSON.stringify(t)},\n});`}:n.startsWith(`node`)?{language:`Node.js`,install:`npm install @sentry/node`,code:`const Sentry = require("@sentry/node");\n\nSentry.init({\n  dsn: ${JSON.stringify(t)},\n});`}:n.startsWith(`go`)?{language:`Go`,install:`go get github.com/getsentry/sentry-go`,code:`err := sentry.Init(sentry.ClientOptions{\n\tDsn: ${JSON.stringify(t)},\n})`}:{language:`Python`,install:`pip install sentry-sdk`,code:`import sentry_sdk\n\nsentry_sdk.init(\n    dsn=${JSON.stringify(t)},\n    release="my-app@1.0.0",\n    environment="production",\n)`}}var b=g();async function x(e){try{return await navigator.clipboard.writeText(e),!0}catch{let t=document.createElement(`textarea`);t.value=e,t.setAttribute(`readonly`,``),t.style.position=`fixed`,t.style.opacity=`0`,document.body.appendChild(t),t.select();let n=document.execCommand(`copy`);return t.remove(),n}}function S({text:e,label:t=`Copy`}){let[n,r]=(0,v.useState)(`idle`);return(0,b.jsx)(`button`,{type:`button`,className:`btn btn-small`,onClick:async()=>{r(await x(e)?`copied`:`failed`),window.setTimeout(()=>r(`idle`),2e3)},children:n===`copied`?`Copied ✓`:n===`failed`?`Copy failed`:t})}var C=a(`
  mutation UpdateProjectKey($input: UpdateProjectKeyInput!) {
    updateProjectKey(input: $input) {
      project {
        id
        keys {
          publicKey
          dsn
          isActive
          rateLimitPerSecond
          rateLimitPerMinute
        }
      }
      userErrors {
        message
        field
        code
      }
    }
  }
`),w=[{value:`python`,label:`Python`},{value:`javascript`,label:`Browser JavaScript`},{value:`node`,label:`Node.js`},{value:`go`,label:`Go`}];function T({org:e,project:t,dsn:n,platform:r,keys:i,writable:a,why:o}){let s=w.find(e=>(r??``).toLowerCase().startsWith(e.value))?.value??`python`,[c,l]=(0,v.useState)(s),u=y(c,n);return(0,b.jsxs)(`section`,{className:`card`,id:`keys`,children:[(0,b.jsx)(`div`,{className:`card-header`,children:(0,b.jsx)(`h2`,{children:`Client keys (DSN)`})}),(0,b.jsxs)(`div`,{className:`pad`,children:[(0,b.jsx)(`label`,{className:`field-label`,htmlFor:`dsn`,children:`DSN`}),(0,b.jsxs)(`div`,{className:`copy-row`,children:[(0,b.jsx)(`input`,{id:`dsn`,className:`mono-input`,type:`text`,readOnly:!0,value:n,onFocus:e=>e.currentTarget.select()}),(0,b.jsx)(S,{text:n,label:`Copy DSN`})]}),(0,b.jsxs)(`div`,{className:`snippet-head`,children:[(0,b.jsx)(`span`,{className:`field-label`,children:`Configure the SDK`}),(0,b.jsx)(`select`,{className:`btn btn-small`,"aria-label":`SDK`,value:c,onChange:e=>l(e.target.value),children:w.map(e=>(0,b.jsx)(`option`,{value:e.value,children:e.label},e.value))})]}),(0,b.jsxs)(`pre`,{className:`snippet`,children:[(0,b.jsxs)(`span`,{className:`muted`,children:[`$ `,u.install]}),`

`,u.code]}),(0,b.jsx)(`div`,{className:`snippet-actions`,children:(0,b.jsx)(S,{text:u.code,label:`Copy snippet`})})]}),(0,b.jsxs)(`table`,{className:`table`,children:[(0,b.jsx)(`thead`,{children:(0,b.jsxs)(`tr`,{children:[(0,b.jsx)(`th`,{children:`Key`}),(0,b.jsx)(`th`,{children:`Status`}),(0,b.jsx)(`th`,{children:`Events per second`}),(0,b.jsx)(`th`,{children:`Events per minute`}),(0,b.jsx)(`th`,{})]})}),(0,b.jsx)(`tbody`,{children:i.map(n=>(0,b.jsx)(D,{org:e,project:t,row:n,writable:a,why:o},n.publicKey))})]})]})}function E(e){return{perSecond:e.rateLimitPerSecond?.toString()??``,perMinute:e.rateLimitPerMinute?.toString()??``}}function D({org:e,project:t,row:r,writable:a,why:o}){let[s,c]=(0,v.useState)(r.rateLimitPerSecond?.toString()??``),[l,u]=(0,v.useState)(r.rateLimitPerMinute?.toString()??``),[d,f]=(0,v.useState)([]),[p,m]=(0,v.useState)(!1),[g,_]=(0,v.useState)(null),[y,x]=(0,v.useState)(null),[{fetching:S},w]=i(C),T={organizationSlug:e,projectSlug:t,publicKey:r.publicKey},D=y??E(r),k=s!==D.perSecond||l!==D.perMinute;async function A(e){let t=await w({input:{...T,...e}}),n=h(t,t.data?.updateProjectKey);f(n);let i=t.data?.updateProjectKey.project?.keys.find(e=>e.publicKey===r.publicKey);return n.length===0&&i&&x(E(i)),n.length===0}async function j(){m(!1);let e=s.trim()===``?null:Number(s),t=l.trim()===``?null:Number(l);(e===null&&r.rateLimitPerSecond!=null||t===null&&r.rateLimitPerMinute!=null)&&!await A({clearRateLimits:!0})||(e===null&&t===null||await A({rateLimitPerSecond:e,rateLimitPerMinute:t}))&&m(!0)}return(0,b.jsxs)(b.Fragment,{children:[(0,b.jsxs)(`tr`,{children:[(0,b.jsx)(`td`,{className:`mono small`,title:r.dsn,children:r.publicKey}),(0,b.jsx)(`td`,{children:(0,b.jsxs)(`label`,{className:`switch`,title:o,children:[(0,b.jsx)(`input`,{type:`checkbox`,checked:g??r.isActive,disabled:!a||S,"aria-label":`Key ${r.publicKey} enabled`,onChange:async e=>{_(e.target.checked),await A({isActive:e.target.checked}),_(null)}}),(0,b.jsx)(`span`,{children:g??r.isActive?`enabled`:`disabled`})]})}),(0,b.jsx)(`td`,{children:(0,b.jsx)(O,{label:`Events per second for key ${r.publicKey}`,value:s,onChange:c,disabled:!a,why:o})}),(0,b.jsx)(`td`,{children:(0,b.jsx)(O,{label:`Events per minute for key ${r.publicKey}`,value:l,onChange:u,disabled:!a,why:o})}),(0,b.jsxs)(`td`,{className:`actions`,children:[p&&!k&&(0,b.jsx)(`span`,{className:`saved`,children:`Saved`}),(0,b.jsx)(`button`,{className:`btn btn-small btn-primary`,disabled:!a||S||!k,title:o,onClick:j,children:`Save limits`})]})]}),d.length>0&&(0,b.jsx)(`tr`,{children:(0,b.jsx)(`td`,{colSpan:5,children:(0,b.jsx)(n,{userErrors:d,onDismiss:()=>f([])})})})]})}function O({label:e,value:t,onChange:n,disabled:r,why:i}){return(0,b.jsx)(`input`,{type:`number`,min:1,className:`num-input`,placeholder:`no limit`,"aria-label":e,value:t,disabled:r,title:i,onChange:e=>n(e.target.value)})}var k=a(`
  mutation UpdateProjectSettings($input: UpdateProjectSettingsInput!) {
    updateProjectSettings(input: $input) {
      project {
        id
        settings {
          scrubData
          scrubIpAddresses
          sensitiveFields
          safeFields
          allowedOrigins
          monthlyEventQuota
        }
      }
      userErrors {
        message
        field
        code
      }
    }
  }
`);function A(e){return{scrubData:e.scrubData,scrubIpAddresses:e.scrubIpAddresses,sensitiveFields:e.sensitiveFields.join(`
`),safeFields:e.safeFields.join(`
`),allowedOrigins:e.allowedOrigins.join(`
`),monthlyEventQuota:e.monthlyEventQuota?.toString()??``}}function j(e,t,n){let[r,a]=(0,v.useState)(()=>A(n)),[o,s]=(0,v.useState)([]),[c,u]=(0,v.useState)(!1),[{fetching:d},f]=i(k),p=JSON.stringify(A(n));(0,v.useEffect)(()=>a(JSON.parse(p)),[p]);let m=JSON.stringify(r)!==p;async function g(n){u(!1);let i={organizationSlug:e,projectSlug:t};for(let e of n)e===`scrubData`||e===`scrubIpAddresses`?i[e]=r[e]:e===`monthlyEventQuota`?r.monthlyEventQuota.trim()===``?i.clearMonthlyEventQuota=!0:i.monthlyEventQuota=Number(r.monthlyEventQuota):i[e]=l(r[e],/[\n,]+/);let a=await f({input:i}),o=h(a,a.data?.updateProjectSettings);s(o),u(o.length===0)}return{draft:r,setDraft:a,errors:o,setErrors:s,saved:c,dirty:m,fetching:d,save:g}}function M({org:e,project:t,settings:r,writable:i,why:a}){let o=j(e,t,r),{draft:s,setDraft:c}=o,l=!i||o.fetching;return(0,b.jsxs)(`section`,{className:`card`,id:`scrubbing`,children:[(0,b.jsxs)(`div`,{className:`card-header`,children:[(0,b.jsx)(`h2`,{children:`Data scrubbing`}),(0,b.jsx)(`span`,{className:`muted small`,children:`applied at ingest, before anything is stored`})]}),(0,b.jsxs)(`form`,{className:`pad form`,onSubmit:e=>{e.preventDefault(),o.save([`scrubData`,`scrubIpAddresses`,`sensitiveFields`,`safeFields`,`allowedOrigins`])},children:[(0,b.jsxs)(`label`,{className:`check`,title:a,children:[(0,b.jsx)(`input`,{type:`checkbox`,checked:s.scrubData,disabled:l,onChange:e=>c({...s,scrubData:e.target.checked})}),(0,b.jsxs)(`span`,{children:[(0,b.jsx)(`b`,{children:`Scrub sensitive data`}),(0,b.jsx)(`span`,{className:`muted small block`,children:`Passwords, secrets, tokens, auth headers, cookies, card numbers and IBANs become [Filtered].`})]})]}),(0,b.jsxs)(`label`,{className:`check`,title:a,children:[(0,b.jsx)(`input`,{type:`checkbox`,checked:s.scrubIpAddresses,disabled:l,onChange:e=>c({...s,scrubIpAddresses:e.target.checked})}),(0,b.jsxs)(`span`,{children:[(0,b.jsx)(`b`,{children:`Scrub IP addresses`}),(0,b.jsx)(`span`,{className:`muted small block`,children:`Drop users' and requests' client IP addresses.`})]})]}),(0,b.jsxs)(`div`,{className:`form-grid`,children:[(0,b.jsxs)(`label`,{children:[(0,b.jsx)(`span`,{className:`field-label`,children:`Additional sensitive fields`}),(0,b.jsx)(`textarea`,{rows:3,value:s.sensitiveFields,disabled:l,placeholder:`one field name per line`,onChange:e=>c({...s,sensitiveFields:e.target.value})})]}),(0,b.jsxs)(`label`,{children:[(0,b.jsx)(`span`,{className:`field-label`,children:`Safe fields (never scrubbed)`}),(0,b.jsx)(`textarea`,{rows:3,value:s.safeFields,disabled:l,placeholder:`one field name per line`,onChange:e=>c({...s,safeFields:e.target.value})})]}),(0,b.jsxs)(`label`,{children:[(0,b.jsx)(`span`,{className:`field-label`,children:`Allowed browser origins`}),(0,b.jsx)(`textarea`,{rows:3,value:s.allowedOrigins,disabled:l,placeholder:`empty: any origin`,onChange:e=>c({...s,allowedOrigins:e.target.value})})]})]}),(0,b.jsx)(n,{userErrors:o.errors,onDismiss:()=>o.setErrors([])}),(0,b.jsxs)(`div`,{className:`form-actions`,children:[o.saved&&!o.dirty&&(0,b.jsx)(`span`,{className:`saved`,children:`Saved`}),(0,b.jsx)(`button`,{type:`submit`,className:`btn btn-primary`,disabled:l||!o.dirty,title:a,children:`Save scrubbing settings`})]})]})]})}function N({org:e,project:t,settings:r,writable:i,why:a}){let o=j(e,t,r),s=!i||o.fetching;return(0,b.jsxs)(`section`,{className:`card`,id:`quota`,children:[(0,b.jsxs)(`div`,{className:`card-header`,children:[(0,b.jsx)(`h2`,{children:`Quota`}),(0,b.jsx)(`span`,{className:`muted small`,children:`events beyond it are answered 429 until the month ends`})]}),(0,b.jsxs)(`form`,{className:`pad form inline-form`,onSubmit:e=>{e.preventDefault(),o.save([`monthlyEventQuota`])},children:[(0,b.jsxs)(`label`,{children:[(0,b.jsx)(`span`,{className:`field-label`,children:`Events per month`}),(0,b.jsx)(`input`,{type:`number`,min:0,className:`num-input wide`,placeholder:`unlimited`,value:o.draft.monthlyEventQuota,disabled:s,title:a,onChange:e=>o.setDraft({...o.draft,monthlyEventQuota:e.target.value})})]}),(0,b.jsx)(`button`,{type:`submit`,className:`btn btn-primary`,disabled:s||!o.dirty,title:a,children:`Save quota`}),o.saved&&!o.dirty&&(0,b.jsx)(`span`,{className:`saved`,children:`Saved`})]}),(0,b.jsx)(`div`,{className:`pad-x`,children:(0,b.jsx)(n,{userErrors:o.errors,onDismiss:()=>o.setErrors([])})})]})}var P=a(`
  query OrganizationMembers($org: String!) {
    organization(slug: $org) {
      id
      members {
        email
        role
        joinedAt
        user {
          name
        }
      }
    }
  }
`),F=a(`
  mutation AddMember($input: AddMemberInput!) {
    addMember(input: $input) {
      email
      userErrors {
        message
        field
        code
      }
    }
  }
`),I=a(`
  mutation UpdateMember($input: UpdateMemberInput!) {
    updateMember(input: $input) {
      member {
        email
        role
      }
      userErrors {
        message
        field
        code
      }
    }
  }
`),L=a(`
  mutation RemoveMember($input: RemoveMemberInput!) {
    removeMember(input: $input) {
      removedEmail
      userErrors {
        message
        field
        code
      }
    }
  }
`);function R({org:e,access:r,viewerEmail:a}){let[{data:l,error:u},d]=t({query:P,variables:{org:e}}),[m,g]=(0,v.useState)(``),[_,y]=(0,v.useState)(`member`),[x,S]=(0,v.useState)([]),[,C]=i(F),[,w]=i(I),[,T]=i(L),E=f(r,`org:write`),D=c(r,`org:write`),O=!!r?.owner;async function k(e){let t=await e();return S(t),t.length||d({requestPolicy:`network-only`}),!t.length}return(0,b.jsxs)(`section`,{className:`card`,id:`members`,children:[(0,b.jsxs)(`div`,{className:`card-header`,children:[(0,b.jsx)(`h2`,{children:`Members`}),(0,b.jsxs)(`span`,{className:`muted small`,children:[`of the organization `,e]})]}),(0,b.jsx)(n,{error:u}),(0,b.jsxs)(`table`,{className:`table`,children:[(0,b.jsx)(`thead`,{children:(0,b.jsxs)(`tr`,{children:[(0,b.jsx)(`th`,{children:`Member`}),(0,b.jsx)(`th`,{children:`Role`}),(0,b.jsx)(`th`,{children:`Joined`}),(0,b.jsx)(`th`,{})]})}),(0,b.jsxs)(`tbody`,{children:[l?.organization?.members.length===0&&(0,b.jsx)(`tr`,{children:(0,b.jsx)(`td`,{colSpan:4,className:`muted`,children:`No members yet: the organization is run by its organization tokens.`})}),l?.organization?.members.map(t=>{let n=!E||t.role===`owner`&&!O,r=E?n?`only owners change owners`:void 0:D;return(0,b.jsxs)(`tr`,{children:[(0,b.jsxs)(`td`,{children:[t.email,` `,t.email===a&&(0,b.jsx)(`span`,{className:`muted small`,children:`(you)`}),t.user?.name&&t.user.name!==t.email&&(0,b.jsx)(`div`,{className:`muted small`,children:t.user.name})]}),(0,b.jsx)(`td`,{children:(0,b.jsx)(`select`,{className:`btn btn-small`,"aria-label":`Role of ${t.email}`,value:t.role,disabled:n,title:r,onChange:n=>{let r=n.target.value;k(async()=>{let n=await w({input:{organizationSlug:e,email:t.email,role:r}});return h(n,n.data?.updateMember)})},children:p.map(e=>(0,b.jsx)(`option`,{value:e,disabled:e===`owner`&&!O,children:e},e))})}),(0,b.jsx)(`td`,{className:`small muted`,title:s(t.joinedAt),children:o(t.joinedAt)}),(0,b.jsx)(`td`,{className:`actions`,children:(0,b.jsx)(`button`,{className:`btn btn-small btn-danger`,disabled:n,title:r,onClick:()=>{window.confirm(`Remove ${t.email} from ${e}?`)&&k(async()=>{let n=await T({input:{organizationSlug:e,email:t.email}});return h(n,n.data?.removeMember)})},children:`Remove`})})]},t.email)})]})]}),(0,b.jsxs)(`form`,{className:`pad form inline-form`,onSubmit:t=>{t.preventDefault(),k(async()=>{let t=await C({input:{organizationSlug:e,email:m.trim(),role:_}});return h(t,t.data?.addMember)}).then(e=>e&&g(``))},children:[(0,b.jsxs)(`label`,{children:[(0,b.jsx)(`span`,{className:`field-label`,children:`Add a member`}),(0,b.jsx)(`input`,{type:`text`,placeholder:`person@example.com`,value:m,disabled:!E,title:D,onChange:e=>g(e.target.value)})]}),(0,b.jsxs)(`label`,{children:[(0,b.jsx)(`span`,{className:`field-label`,children:`Role`}),(0,b.jsx)(`select`,{className:`btn`,"aria-label":`Role of the new member`,value:_,disabled:!E,onChange:e=>y(e.target.value),children:p.map(e=>(0,b.jsx)(`option`,{value:e,disabled:e===`owner`&&!O,children:e},e))})]}),(0,b.jsx)(`button`,{type:`submit`,className:`btn btn-primary`,disabled:!E||!m.trim(),title:D,children:`Add member`})]}),(0,b.jsx)(`div`,{className:`pad-x`,children:(0,b.jsx)(n,{userErrors:x,onDismiss:()=>S([])})})]})}var z=a(`
  query OrganizationSettings($org: String!) {
    organization(slug: $org) {
      id
      settings {
        retentionDays
        retentionMaxEvents
      }
    }
  }
`),B=a(`
  mutation UpdateOrganizationSettings($input: UpdateOrganizationSettingsInput!) {
    updateOrganizationSettings(input: $input) {
      organization {
        id
        settings {
          retentionDays
          retentionMaxEvents
        }
      }
      userErrors {
        message
        field
        code
      }
    }
  }
`),V=a(`
  mutation EraseUser($input: EraseUserInput!) {
    eraseUser(input: $input) {
      subjectsErased
      userErrors {
        message
        field
        code
      }
    }
  }
`);function H({org:e,access:r}){let[{data:a,error:o}]=t({query:z,variables:{org:e}}),s=a?.organization?.settings,l=JSON.stringify({days:s?.retentionDays?.toString()??``,maxEvents:s?.retentionMaxEvents?.toString()??``}),[u,d]=(0,v.useState)(()=>JSON.parse(l));(0,v.useEffect)(()=>d(JSON.parse(l)),[l]);let[p,m]=(0,v.useState)([]),[g,_]=(0,v.useState)(!1),[{fetching:y},x]=i(B),S=f(r,`org:write`),C=c(r,`org:write`),w=!S||y||!s,T=JSON.stringify(u)!==l;async function E(){_(!1);let t={organizationSlug:e};u.days.trim()===``?t.clearRetentionDays=!0:t.retentionDays=Number(u.days),u.maxEvents.trim()===``?t.clearRetentionMaxEvents=!0:t.retentionMaxEvents=Number(u.maxEvents);let n=await x({input:t}),r=h(n,n.data?.updateOrganizationSettings);m(r),_(r.length===0)}return(0,b.jsxs)(`section`,{className:`card`,id:`retention`,children:[(0,b.jsxs)(`div`,{className:`card-header`,children:[(0,b.jsx)(`h2`,{children:`Retention`}),(0,b.jsxs)(`span`,{className:`muted small`,children:[`for every project of `,e,` without its own; empty: the server's setting`]})]}),(0,b.jsx)(n,{error:o}),(0,b.jsxs)(`form`,{className:`pad form inline-form`,onSubmit:e=>{e.preventDefault(),E()},children:[(0,b.jsxs)(`label`,{children:[(0,b.jsx)(`span`,{className:`field-label`,children:`Keep events for (days)`}),(0,b.jsx)(`input`,{type:`number`,min:0,step:`any`,className:`num-input wide`,placeholder:`server's (90)`,value:u.days,disabled:w,title:C,onChange:e=>d({...u,days:e.target.value})})]}),(0,b.jsxs)(`label`,{children:[(0,b.jsx)(`span`,{className:`field-label`,children:`Error events kept per project`}),(0,b.jsx)(`input`,{type:`number`,min:1,className:`num-input wide`,placeholder:`no cap`,value:u.maxEvents,disabled:w,title:C,onChange:e=>d({...u,maxEvents:e.target.value})})]}),(0,b.jsx)(`button`,{type:`submit`,className:`btn btn-primary`,disabled:w||!T,title:C,children:`Save retention`}),g&&!T&&(0,b.jsx)(`span`,{className:`saved`,children:`Saved`})]}),(0,b.jsx)(`p`,{className:`pad-x muted small`,children:`The retention job deletes what is older, or the oldest beyond the cap (never an issue's first or latest event); issue counts, usage and monitors keep counting what was deleted.`}),(0,b.jsx)(`div`,{className:`pad-x`,children:(0,b.jsx)(n,{userErrors:p,onDismiss:()=>m([])})})]})}var U=[{field:`email`,label:`E-mail`},{field:`id`,label:`User id`},{field:`username`,label:`Username`},{field:`ipAddress`,label:`IP address`}];function W({org:e,access:t}){let[r,a]=(0,v.useState)(`email`),[o,s]=(0,v.useState)(``),[c,l]=(0,v.useState)([]),[u,f]=(0,v.useState)(null),[{fetching:p},m]=i(V),g=!!t?.owner,_=t&&!g?`only owners erase people's data (your role: ${t.role??`none`})`:void 0,y=U.find(e=>e.field===r)?.label??r;async function x(){let t=o.trim();if(!t||!window.confirm(`Erase the personal data of ${y.toLowerCase()} ${t} in ${e}? Every event of that person will read [erased], in every replay too. This cannot be undone.`))return;f(null);let n=await m({input:{organizationSlug:e,[r]:t}}),i=h(n,n.data?.eraseUser);l(i),!i.length&&n.data&&(f({value:t,subjects:n.data.eraseUser.subjectsErased}),s(``))}return(0,b.jsxs)(`section`,{className:`card`,id:`erasure`,children:[(0,b.jsxs)(`div`,{className:`card-header`,children:[(0,b.jsx)(`h2`,{children:`Erase a person`}),(0,b.jsx)(`span`,{className:`muted small`,children:`crypto-shredding: their sealed data reads [erased] everywhere`})]}),_&&(0,b.jsxs)(`p`,{className:`pad-x muted small`,children:[d(_),`.`]}),(0,b.jsxs)(`form`,{className:`pad form inline-form`,onSubmit:e=>{e.preventDefault(),x()},children:[(0,b.jsxs)(`label`,{children:[(0,b.jsx)(`span`,{className:`field-label`,children:`Identifier`}),(0,b.jsx)(`select`,{className:`btn`,"aria-label":`Identifier to erase by`,value:r,disabled:!g,title:_,onChange:e=>a(e.target.value),children:U.map(e=>(0,b.jsx)(`option`,{value:e.field,children:e.label},e.field))})]}),(0,b.jsxs)(`label`,{children:[(0,b.jsx)(`span`,{className:`field-label`,children:`As the SDK sent it`}),(0,b.jsx)(`input`,{type:`text`,"aria-label":`Identifier value`,placeholder:r===`ipAddress`?`203.0.113.7`:r===`email`?`person@example.com`:``,value:o,disabled:!g,title:_,onChange:e=>s(e.target.value)})]}),(0,b.jsx)(`button`,{type:`submit`,className:`btn btn-danger`,disabled:!g||p||!o.trim(),title:_,children:`Erase…`}),u&&(0,b.jsxs)(`span`,{className:`saved`,role:`status`,children:[`Erased `,u.value,`: `,u.subjects,` `,u.subjects===1?`subject`:`subjects`]})]}),(0,b.jsx)(`div`,{className:`pad-x`,children:(0,b.jsx)(n,{userErrors:c,onDismiss:()=>l([])})})]})}var G=a(`
  query PersonalTokens {
    viewer {
      tokenId
      personalTokens {
        tokenId
        kind
        label
        scopes
        createdAt
        expiresAt
        revokedAt
      }
    }
  }
`),K=a(`
  query OrganizationTokens($org: String!) {
    organization(slug: $org) {
      id
      apiTokens {
        tokenId
        kind
        label
        scopes
        createdAt
        expiresAt
        revokedAt
      }
    }
  }
`),q=a(`
  mutation CreateApiToken($input: CreateApiTokenInput!) {
    createApiToken(input: $input) {
      token
      apiToken {
        tokenId
        label
      }
      userErrors {
        message
        field
        code
      }
    }
  }
`),J=a(`
  mutation RevokeApiToken($input: RevokeApiTokenInput!) {
    revokeApiToken(input: $input) {
      apiToken {
        tokenId
        revokedAt
      }
      userErrors {
        message
        field
        code
      }
    }
  }
`);function Y({org:e,access:r,personal:a,currentTokenId:o}){let[{data:s,error:c},l]=t({query:G,pause:!a}),u=!!r?.owner,[{data:d,error:f},p]=t({query:K,variables:{org:e},pause:!u}),[m,g]=(0,v.useState)(null),[_,y]=(0,v.useState)([]),[,x]=i(J),C=()=>{a&&l({requestPolicy:`network-only`}),u&&p({requestPolicy:`network-only`})};async function w(e){let t=e.tokenId===o?` This is the token you are using: you will be logged out.`:``;if(!window.confirm(`Revoke the token "${e.label||e.tokenId}"?${t}`))return;let n=await x({input:{tokenId:e.tokenId}}),r=h(n,n.data?.revokeApiToken);y(r),r.length||C()}return(0,b.jsxs)(`section`,{className:`card`,id:`tokens`,children:[(0,b.jsxs)(`div`,{className:`card-header`,children:[(0,b.jsx)(`h2`,{children:`API tokens`}),(0,b.jsx)(`span`,{className:`muted small`,children:`only a token's hash is stored: its secret is shown once`})]}),m&&(0,b.jsxs)(`div`,{className:`secret-box pad`,role:`status`,children:[(0,b.jsxs)(`div`,{children:[(0,b.jsxs)(`b`,{children:[`New token “`,m.label,`”`]}),` — copy it now, it is not shown again.`]}),(0,b.jsxs)(`div`,{className:`copy-row`,children:[(0,b.jsx)(`input`,{className:`mono-input`,readOnly:!0,value:m.token,"aria-label":`New API token`}),(0,b.jsx)(S,{text:m.token}),(0,b.jsx)(`button`,{className:`btn btn-small`,onClick:()=>g(null),children:`Done`})]})]}),(0,b.jsx)(n,{userErrors:_,onDismiss:()=>y([])}),a&&(0,b.jsx)(X,{title:`Your personal tokens`,error:c,rows:s?.viewer.personalTokens??[],currentTokenId:o,canRevoke:!0,onRevoke:w}),u?(0,b.jsx)(X,{title:`Organization tokens of ${e}`,error:f,rows:d?.organization?.apiTokens??[],currentTokenId:o,canRevoke:!0,onRevoke:w}):(0,b.jsx)(`p`,{className:`muted small pad`,children:`Organization tokens are managed by the organization's owners.`}),r&&(0,b.jsx)(Z,{org:e,access:r,personal:a,owner:u,onCreated:(e,t)=>{g({label:e,token:t}),C()}},`${a}:${u}:${[...r.scopes].sort().join(`,`)}`)]})}function X({title:e,rows:t,error:r,currentTokenId:i,canRevoke:a,onRevoke:c}){let l=Date.now();return(0,b.jsxs)(`div`,{className:`subsection`,children:[(0,b.jsx)(`h3`,{className:`pad-x`,children:e}),(0,b.jsx)(n,{error:r}),t.length===0?(0,b.jsx)(`p`,{className:`muted small pad-x`,children:`None.`}):(0,b.jsxs)(`table`,{className:`table`,children:[(0,b.jsx)(`thead`,{children:(0,b.jsxs)(`tr`,{children:[(0,b.jsx)(`th`,{children:`Label`}),(0,b.jsx)(`th`,{children:`Scopes`}),(0,b.jsx)(`th`,{children:`Created`}),(0,b.jsx)(`th`,{children:`Expires`}),(0,b.jsx)(`th`,{})]})}),(0,b.jsx)(`tbody`,{children:t.map(e=>{let t=!!e.expiresAt&&Date.parse(e.expiresAt)<l;return(0,b.jsxs)(`tr`,{className:e.revokedAt||t?`dim`:``,children:[(0,b.jsxs)(`td`,{children:[e.label||(0,b.jsx)(`span`,{className:`muted`,children:`unnamed`}),` `,(0,b.jsx)(`span`,{className:`mono small muted`,children:e.tokenId.slice(0,8)}),e.tokenId===i&&(0,b.jsx)(`span`,{className:`badge in-app-badge`,children:`this session`})]}),(0,b.jsx)(`td`,{className:`small`,children:e.scopes.join(` `)}),(0,b.jsx)(`td`,{className:`small muted`,title:s(e.createdAt),children:o(e.createdAt)}),(0,b.jsx)(`td`,{className:`small muted`,children:e.expiresAt?s(e.expiresAt):`never`}),(0,b.jsx)(`td`,{className:`actions`,children:e.revokedAt?(0,b.jsx)(`span`,{className:`muted small`,title:s(e.revokedAt),children:`revoked`}):t?(0,b.jsx)(`span`,{className:`muted small`,children:`expired`}):(0,b.jsx)(`button`,{className:`btn btn-small btn-danger`,disabled:!a,onClick:()=>c(e),children:`Revoke`})})]},e.tokenId)})})]})]})}function Z({org:e,access:t,personal:r,owner:a,onCreated:o}){let s=[...r?[{value:`personal`,label:`Personal token`}]:[],...a?[{value:`organization`,label:`Organization token (${e})`}]:[]],[c,l]=(0,v.useState)(s[0]?.value??`personal`),[u,d]=(0,v.useState)(``),[f,p]=(0,v.useState)(()=>m.filter(e=>t?.scopes.has(e))),[g,_]=(0,v.useState)(``),[y,x]=(0,v.useState)([]),[{fetching:S},C]=i(q);return s.length?(0,b.jsxs)(`form`,{className:`pad form subform`,onSubmit:async t=>{t.preventDefault();let n=g.trim()?Number(g):null,r=await C({input:{label:u.trim(),organizationSlug:c===`organization`?e:null,scopes:f,expiresAt:n===null?null:new Date(Date.now()+n*864e5).toISOString()}}),i=h(r,r.data?.createApiToken);x(i);let a=r.data?.createApiToken.token;!i.length&&a&&(o(u.trim()||`unnamed`,a),d(``))},children:[(0,b.jsx)(`h3`,{children:`Create a token`}),(0,b.jsxs)(`div`,{className:`inline-form`,children:[(0,b.jsxs)(`label`,{children:[(0,b.jsx)(`span`,{className:`field-label`,children:`Kind`}),(0,b.jsx)(`select`,{className:`btn`,"aria-label":`Token kind`,value:c,onChange:e=>l(e.target.value),children:s.map(e=>(0,b.jsx)(`option`,{value:e.value,children:e.label},e.value))})]}),(0,b.jsxs)(`label`,{children:[(0,b.jsx)(`span`,{className:`field-label`,children:`Label`}),(0,b.jsx)(`input`,{type:`text`,value:u,placeholder:`ci-deploys`,onChange:e=>d(e.target.value)})]}),(0,b.jsxs)(`label`,{children:[(0,b.jsx)(`span`,{className:`field-label`,children:`Expires in (days)`}),(0,b.jsx)(`input`,{type:`number`,min:1,className:`num-input`,placeholder:`never`,value:g,onChange:e=>_(e.target.value)})]})]}),(0,b.jsxs)(`fieldset`,{className:`checks`,children:[(0,b.jsx)(`legend`,{className:`field-label`,children:`Scopes`}),m.map(e=>(0,b.jsxs)(`label`,{className:`check-inline`,children:[(0,b.jsx)(`input`,{type:`checkbox`,checked:f.includes(e),onChange:t=>p(t.target.checked?[...f,e]:f.filter(t=>t!==e))}),(0,b.jsx)(`span`,{className:`mono`,children:e})]},e))]}),(0,b.jsx)(n,{userErrors:y,onDismiss:()=>x([])}),(0,b.jsx)(`div`,{className:`form-actions`,children:(0,b.jsx)(`button`,{type:`submit`,className:`btn btn-primary`,disabled:S,children:`Create token`})})]}):null}var Q=a(`
  query ProjectWebhooks($org: String!, $project: String!) {
    project(organizationSlug: $org, slug: $project) {
      id
      webhooks {
        id
        url
        events
        description
        isActive
        createdAt
        deliveries(first: 5) {
          totalCount
          edges {
            node {
              deliveryId
              event
              status
              attempts
              responseStatusCode
              lastError
              createdAt
            }
          }
        }
      }
    }
  }
`),$=a(`
  mutation CreateWebhook($input: CreateWebhookInput!) {
    createWebhook(input: $input) {
      webhook {
        id
        url
      }
      secret
      userErrors {
        message
        field
        code
      }
    }
  }
`),ee=a(`
  mutation UpdateWebhook($input: UpdateWebhookInput!) {
    updateWebhook(input: $input) {
      webhook {
        id
        isActive
      }
      secret
      userErrors {
        message
        field
        code
      }
    }
  }
`),te=a(`
  mutation DeleteWebhook($input: DeleteWebhookInput!) {
    deleteWebhook(input: $input) {
      deletedWebhookId
      userErrors {
        message
        field
        code
      }
    }
  }
`),ne=[`CREATED`,`UPDATED`,`REGRESSED`,`RESOLVED`,`IGNORED`,`ASSIGNED`,`MERGED`,`UNMERGED`];function re({org:e,project:r,projectId:a,writable:c,why:l}){let[{data:u,error:d},f]=t({query:Q,variables:{org:e,project:r}}),[p,m]=(0,v.useState)(``),[g,_]=(0,v.useState)(``),[y,x]=(0,v.useState)([`CREATED`,`REGRESSED`]),[C,w]=(0,v.useState)([]),[T,E]=(0,v.useState)(null),[{fetching:D},O]=i($),[,k]=i(ee),[,A]=i(te),j=()=>f({requestPolicy:`network-only`});async function M(e){let t=await e();w(t),t.length||j()}return(0,b.jsxs)(`section`,{className:`card`,id:`webhooks`,children:[(0,b.jsxs)(`div`,{className:`card-header`,children:[(0,b.jsx)(`h2`,{children:`Webhooks`}),(0,b.jsx)(`span`,{className:`muted small`,children:`signed POSTs of issue changes (docs/integrations.md)`})]}),(0,b.jsx)(n,{error:d}),T&&(0,b.jsxs)(`div`,{className:`secret-box pad`,role:`status`,children:[(0,b.jsxs)(`div`,{children:[(0,b.jsxs)(`b`,{children:[`Signing secret for `,T.url]}),` — shown this once; store it now.`]}),(0,b.jsxs)(`div`,{className:`copy-row`,children:[(0,b.jsx)(`input`,{className:`mono-input`,readOnly:!0,value:T.secret,"aria-label":`Webhook signing secret`}),(0,b.jsx)(S,{text:T.secret}),(0,b.jsx)(`button`,{className:`btn btn-small`,onClick:()=>E(null),children:`Done`})]})]}),u?.project?.webhooks.length===0&&(0,b.jsx)(`p`,{className:`muted pad`,children:`No webhooks yet.`}),(0,b.jsx)(`ul`,{className:`rows`,children:u?.project?.webhooks.map(e=>(0,b.jsxs)(`li`,{className:`row-item`,children:[(0,b.jsxs)(`div`,{className:`row-main`,children:[(0,b.jsxs)(`div`,{children:[(0,b.jsx)(`span`,{className:`mono`,children:e.url}),` `,!e.isActive&&(0,b.jsx)(`span`,{className:`status`,children:`paused`})]}),(0,b.jsxs)(`div`,{className:`muted small`,children:[e.description&&(0,b.jsxs)(b.Fragment,{children:[e.description,` · `]}),e.events.map(e=>e.toLowerCase()).join(`, `),` · created `,(0,b.jsx)(`span`,{title:s(e.createdAt),children:o(e.createdAt)})]}),e.deliveries.totalCount>0&&(0,b.jsx)(`ul`,{className:`deliveries small`,children:e.deliveries.edges.map(({node:e})=>(0,b.jsxs)(`li`,{children:[(0,b.jsx)(`span`,{className:`delivery delivery-${e.status.toLowerCase()}`,children:e.status.toLowerCase()}),` `,e.event.toLowerCase(),(0,b.jsxs)(`span`,{className:`muted`,children:[` `,`· `,e.attempts,` attempt`,e.attempts===1?``:`s`,e.responseStatusCode?` · HTTP ${e.responseStatusCode}`:``,` · `,(0,b.jsx)(`span`,{title:s(e.createdAt),children:o(e.createdAt)})]}),e.lastError&&(0,b.jsxs)(`span`,{className:`form-error`,children:[` · `,e.lastError]})]},e.deliveryId))})]}),(0,b.jsxs)(`div`,{className:`row-actions`,children:[(0,b.jsx)(`button`,{className:`btn btn-small`,disabled:!c,title:l,onClick:()=>M(async()=>{let t=await k({input:{id:e.id,isActive:!e.isActive}});return h(t,t.data?.updateWebhook)}),children:e.isActive?`Pause`:`Resume`}),(0,b.jsx)(`button`,{className:`btn btn-small`,disabled:!c,title:l,onClick:()=>M(async()=>{let t=await k({input:{id:e.id,rotateSecret:!0}}),n=h(t,t.data?.updateWebhook);return!n.length&&t.data?.updateWebhook.secret&&E({url:e.url,secret:t.data.updateWebhook.secret}),n}),children:`Rotate secret`}),(0,b.jsx)(`button`,{className:`btn btn-small btn-danger`,disabled:!c,title:l,onClick:()=>{window.confirm(`Delete the webhook to ${e.url}?`)&&M(async()=>{let t=await A({input:{id:e.id}});return h(t,t.data?.deleteWebhook)})},children:`Delete`})]})]},e.id))}),(0,b.jsxs)(`form`,{className:`pad form subform`,onSubmit:e=>{e.preventDefault(),M(async()=>{let e=await O({input:{projectId:a,url:p.trim(),events:y,description:g.trim()}}),t=h(e,e.data?.createWebhook),n=e.data?.createWebhook;return!t.length&&n?.secret&&n.webhook&&(E({url:n.webhook.url,secret:n.secret}),m(``),_(``)),t})},children:[(0,b.jsx)(`h3`,{children:`Add a webhook`}),(0,b.jsxs)(`div`,{className:`form-grid two`,children:[(0,b.jsxs)(`label`,{children:[(0,b.jsx)(`span`,{className:`field-label`,children:`URL`}),(0,b.jsx)(`input`,{type:`text`,value:p,placeholder:`https://example.com/hooks/stackline`,disabled:!c,onChange:e=>m(e.target.value)})]}),(0,b.jsxs)(`label`,{children:[(0,b.jsx)(`span`,{className:`field-label`,children:`Description`}),(0,b.jsx)(`input`,{type:`text`,value:g,disabled:!c,onChange:e=>_(e.target.value)})]})]}),(0,b.jsxs)(`fieldset`,{className:`checks`,disabled:!c,children:[(0,b.jsx)(`legend`,{className:`field-label`,children:`Issue changes to send`}),ne.map(e=>(0,b.jsxs)(`label`,{className:`check-inline`,children:[(0,b.jsx)(`input`,{type:`checkbox`,checked:y.includes(e),onChange:t=>x(t.target.checked?[...y,e]:y.filter(t=>t!==e))}),e.toLowerCase()]},e))]}),(0,b.jsx)(n,{userErrors:C,onDismiss:()=>w([])}),(0,b.jsx)(`div`,{className:`form-actions`,children:(0,b.jsx)(`button`,{type:`submit`,className:`btn btn-primary`,disabled:!c||D,title:l,children:`Add webhook`})})]})]})}var ie=a(`
  query ProjectSettings($org: String!, $project: String!) {
    project(organizationSlug: $org, slug: $project) {
      id
      slug
      name
      platform
      numericId
      dsn
      settings {
        scrubData
        scrubIpAddresses
        sensitiveFields
        safeFields
        allowedOrigins
        monthlyEventQuota
      }
      keys {
        publicKey
        dsn
        isActive
        rateLimitPerSecond
        rateLimitPerMinute
      }
    }
  }
`),ae=[{id:`keys`,label:`Client keys`},{id:`scrubbing`,label:`Data scrubbing`},{id:`quota`,label:`Quota`},{id:`webhooks`,label:`Webhooks`},{id:`members`,label:`Members`},{id:`tokens`,label:`API tokens`},{id:`retention`,label:`Retention`},{id:`erasure`,label:`Erase a person`}];function oe(){let{org:e,project:i}=r(),[{data:a,error:o,fetching:s}]=t({query:ie,variables:{org:e,project:i}}),{access:l,tokenId:p,email:m,personal:h}=u(e),g=a?.project;if(o&&!g)return(0,b.jsx)(`div`,{className:`page`,children:(0,b.jsx)(n,{error:o})});if(s&&!g)return(0,b.jsx)(`div`,{className:`page muted`,children:`Loading…`});if(!g)return(0,b.jsx)(`div`,{className:`page`,children:(0,b.jsx)(n,{userErrors:[{message:`project not found`}]})});let _=f(l,`project:write`),v=c(l,`project:write`);return(0,b.jsxs)(`div`,{className:`page settings-page`,children:[(0,b.jsxs)(`div`,{className:`page-header`,children:[(0,b.jsxs)(`h1`,{children:[`Settings `,(0,b.jsxs)(`span`,{className:`muted`,children:[`· `,g.name||g.slug]})]}),(0,b.jsxs)(`span`,{className:`muted small`,children:[`project id `,g.numericId]})]}),l&&!_&&(0,b.jsxs)(`div`,{className:`notice`,role:`note`,children:[d(v),`: the project's settings are read-only for you. Ask an admin or owner of `,e,` to change them.`]}),(0,b.jsxs)(`div`,{className:`settings-layout`,children:[(0,b.jsx)(`nav`,{className:`settings-nav`,"aria-label":`Settings sections`,children:ae.map(e=>(0,b.jsx)(`a`,{href:`#${e.id}`,children:e.label},e.id))}),(0,b.jsxs)(`div`,{className:`settings-main`,children:[(0,b.jsx)(T,{org:e,project:i,dsn:g.dsn,platform:g.platform,keys:g.keys,writable:_,why:v}),(0,b.jsx)(M,{org:e,project:i,settings:g.settings,writable:_,why:v}),(0,b.jsx)(N,{org:e,project:i,settings:g.settings,writable:_,why:v}),(0,b.jsx)(re,{org:e,project:i,projectId:g.id,writable:_,why:v}),(0,b.jsx)(R,{org:e,access:l,viewerEmail:m}),(0,b.jsx)(Y,{org:e,access:l,personal:h,currentTokenId:p}),(0,b.jsx)(H,{org:e,access:l}),(0,b.jsx)(W,{org:e,access:l})]})]})]})}export{oe as ProjectSettingsPage};