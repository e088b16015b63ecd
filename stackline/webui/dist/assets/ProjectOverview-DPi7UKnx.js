import{r as e}from"./rolldown-runtime-XKyaHtl9.js";import{s as t,u as n}from"./preload-helper-CtaAo5cR.js";import{_ as r,a as i,d as a,i as o,n as s,r as c,s as l,t as u}from"./time-B_4i5suD.js";import{i as d,o as f,r as p}from"./index-LckdQNb6.js";/* empty css                 */var m=e(n(),1),h=t(),g=[{key:`accepted`,label:`accepted`,className:`o-accepted`},{key:`rateLimited`,label:`rate limited`,className:`o-limited`},{key:`dropped`,label:`invalid, filtered or discarded`,className:`o-dropped`}];function _({days:e}){let t=Math.max(1,...e.map(e=>e.accepted+e.rateLimited+e.dropped)),n=e.length?686/e.length:686,r=e=>e/t*94,i=Math.ceil(e.length/6),a=e=>{let t=new Date(`${e}T00:00:00Z`);return`${t.toLocaleString(`en`,{month:`short`,timeZone:`UTC`})} ${t.getUTCDate()}`};return(0,h.jsxs)(`div`,{children:[(0,h.jsxs)(`svg`,{className:`stats-chart outcome-chart`,viewBox:`0 0 720 120`,preserveAspectRatio:`none`,role:`img`,"aria-label":`outcomes per day`,children:[(0,h.jsx)(`text`,{x:28,y:12,className:`axis`,textAnchor:`end`,children:t}),(0,h.jsx)(`text`,{x:28,y:102,className:`axis`,textAnchor:`end`,children:`0`}),(0,h.jsx)(`line`,{x1:34,x2:720,y1:102.5,y2:102.5,className:`sparkline-base`}),e.map((e,t)=>{let o=102;return(0,h.jsxs)(`g`,{children:[(0,h.jsx)(`title`,{children:`${a(e.day)}: ${e.accepted} accepted, ${e.rateLimited} rate limited, ${e.dropped} dropped`}),g.map(i=>{let a=e[i.key];if(!a)return null;let s=Math.max(1.5,r(a));return o-=s,(0,h.jsx)(`rect`,{className:i.className,x:34+t*n+1,width:Math.max(1,n-2),y:o,height:s},i.key)}),t%i===0&&(0,h.jsx)(`text`,{x:34+t*n+n/2,y:116,className:`axis`,textAnchor:`middle`,children:a(e.day)})]},e.day)})]}),(0,h.jsx)(`div`,{className:`legend small muted`,children:g.map(e=>(0,h.jsxs)(`span`,{children:[(0,h.jsx)(`span`,{className:`swatch ${e.className}`}),` `,e.label]},e.key))})]})}var v=new Set([`exited`,`errored`,`crashed`,`abnormal`]);function y(e){let t={total:0,crashed:0,abnormal:0,errored:0};for(let n of e)v.has(n.status)&&(t.total+=n.quantity,n.status===`crashed`?t.crashed+=n.quantity:n.status===`abnormal`?t.abnormal+=n.quantity:n.status===`errored`&&(t.errored+=n.quantity));return{...t,rate:t.total?1-t.crashed/t.total:null}}function b(e){let t=new Map;for(let n of e){let e=t.get(n.release)??[];e.push(n),t.set(n.release,e)}return[...t.entries()].map(([e,t])=>({release:e,health:y(t)})).filter(e=>e.health.total>0).sort((e,t)=>t.health.total-e.health.total||e.release.localeCompare(t.release))}function x(e){if(e===null)return`—`;let t=Math.floor(e*1e4+1e-6)/100;return t===100?`100 %`:`${t.toFixed(2)} %`}function S(e,t=new Date){let n=[];for(let r=e-1;r>=0;r--){let e=new Date(Date.UTC(t.getUTCFullYear(),t.getUTCMonth(),t.getUTCDate()-r));n.push(e.toISOString().slice(0,10))}return n}function C(e,t,n,r=new Date){let i=new Map(S(n,r).map(e=>[e,{day:e,accepted:0,rateLimited:0,dropped:0}]));for(let n of e){if(n.category!==t)continue;let e=i.get(n.day.slice(0,10));e&&(n.outcome===`accepted`?e.accepted+=n.quantity:n.outcome===`rate_limited`?e.rateLimited+=n.quantity:e.dropped+=n.quantity)}return[...i.values()]}function w(e){let t=new Map;for(let n of e){let e=t.get(n.category)??{category:n.category,accepted:0,rateLimited:0,dropped:0,reasons:[],reasonMap:new Map};if(t.set(n.category,e),n.outcome===`accepted`){e.accepted+=n.quantity;continue}n.outcome===`rate_limited`?e.rateLimited+=n.quantity:e.dropped+=n.quantity;let r=n.reason?`${n.outcome}: ${n.reason}`:n.outcome;e.reasonMap.set(r,(e.reasonMap.get(r)??0)+n.quantity)}return[...t.values()].map(({reasonMap:e,...t})=>({...t,reasons:[...e.entries()].map(([e,t])=>({reason:e,quantity:t})).sort((e,t)=>t.quantity-e.quantity)})).sort((e,t)=>t.accepted+t.rateLimited+t.dropped-(e.accepted+e.rateLimited+e.dropped))}var T=o(`
  query OverviewStats($org: String!, $project: String!, $period: StatsPeriod!) {
    project(organizationSlug: $org, slug: $project) {
      id
      stats(period: $period) {
        start
        count
        users
      }
      userCount
    }
  }
`),E=o(`
  query ProjectOverview($org: String!, $project: String!) {
    project(organizationSlug: $org, slug: $project) {
      id
      slug
      name
      platform
      usage(days: 30) {
        day
        category
        outcome
        reason
        quantity
      }
      sessions(days: 30) {
        day
        release
        environment
        status
        quantity
        errors
      }
      issues(first: 5, query: "is:unresolved") {
        totalCount
        edges {
          node {
            id
            shortId
            title
            level
            timesSeen
            lastSeen
          }
        }
      }
      transactions(first: 10) {
        totalCount
        edges {
          node {
            eventId
            name
            op
            status
            durationMs
            timestamp
            release
            environment
          }
        }
      }
      monitors {
        slug
        status
        schedule
        timezone
        lastCheckIn
        nextExpected
      }
      checkIns(first: 10) {
        checkInId
        monitorSlug
        status
        duration
        environment
        lastReceived
      }
      feedback(first: 10) {
        feedbackId
        associatedEventId
        name
        email
        comments
        receivedAt
      }
    }
  }
`),D=[{value:`HOUR_24`,label:`24 h`,long:`last 24 hours`},{value:`DAY_14`,label:`14 d`,long:`last 14 days`},{value:`DAY_30`,label:`30 d`,long:`last 30 days`}];function O(){let{org:e,project:t}=a(),[n,o]=(0,m.useState)(`HOUR_24`),[g]=r({query:E,variables:{org:e,project:t},requestPolicy:`cache-and-network`}),[v]=r({query:T,variables:{org:e,project:t,period:n},requestPolicy:`cache-and-network`}),[S,O]=(0,m.useState)(`error`),A=g.data?.project,j=A?.usage??[],M=(0,m.useMemo)(()=>w(j),[j]),N=(0,m.useMemo)(()=>C(j,S,30),[j,S]),P=A?.sessions??[],F=(0,m.useMemo)(()=>y(P),[P]),I=(0,m.useMemo)(()=>b(P),[P]);if(g.error&&!A)return(0,h.jsx)(`div`,{className:`page`,children:(0,h.jsx)(i,{error:g.error})});if(g.fetching&&!A)return(0,h.jsx)(`div`,{className:`page muted`,children:`Loading…`});if(!A)return(0,h.jsx)(`div`,{className:`page`,children:(0,h.jsx)(i,{userErrors:[{message:`project not found`}]})});let L=v.data?.project?.stats??[],R=L.reduce((e,t)=>e+t.count,0),z=M.find(e=>e.category===`error`),B=M.map(e=>e.category),V=D.find(e=>e.value===n).long;return(0,h.jsxs)(`div`,{className:`page wide overview-page`,children:[(0,h.jsxs)(`div`,{className:`page-header`,children:[(0,h.jsxs)(`h1`,{children:[A.name||A.slug,` `,(0,h.jsx)(`span`,{className:`muted`,children:`· overview`})]}),A.platform&&(0,h.jsx)(`span`,{className:`muted small`,children:A.platform})]}),(0,h.jsxs)(`div`,{className:`tiles`,children:[(0,h.jsx)(k,{label:`Errors, ${V}`,value:v.data?s(R):`…`,testId:`event-count`,exact:R}),(0,h.jsx)(k,{label:`Users affected`,value:v.data?.project?v.data.project.userCount==null?`n/a`:s(v.data.project.userCount):`…`}),(0,h.jsx)(k,{label:`Unresolved issues`,value:s(A.issues.totalCount)}),(0,h.jsx)(k,{label:`Errors accepted, 30 d`,value:s(z?.accepted??0)}),(0,h.jsx)(k,{label:`Rate limited, 30 d`,hint:`errors answered 429 (key rate limits, quota) in 30 days`,testId:`rate-limited`,value:s(z?.rateLimited??0),warn:!!z?.rateLimited}),(0,h.jsx)(k,{label:`Crash-free, 30 d`,hint:`sessions that did not end in a crash, 30 days`,value:x(F.rate),testId:`crash-free`})]}),(0,h.jsxs)(`section`,{className:`card`,children:[(0,h.jsxs)(`div`,{className:`card-header`,children:[(0,h.jsx)(`h2`,{children:`Error volume`}),(0,h.jsx)(`div`,{className:`btn-group`,role:`group`,"aria-label":`Stats period`,children:D.map(e=>(0,h.jsx)(`button`,{className:n===e.value?`btn btn-small active`:`btn btn-small`,onClick:()=>o(e.value),children:e.label},e.value))})]}),(0,h.jsx)(`div`,{className:`pad`,children:v.error?(0,h.jsx)(i,{error:v.error}):(0,h.jsx)(p,{buckets:L,period:n})})]}),(0,h.jsxs)(`div`,{className:`overview-columns`,children:[(0,h.jsxs)(`section`,{className:`card`,children:[(0,h.jsxs)(`div`,{className:`card-header`,children:[(0,h.jsx)(`h2`,{children:`Outcomes, 30 days`}),B.length>0&&(0,h.jsx)(`select`,{className:`btn btn-small`,"aria-label":`Data category`,value:S,onChange:e=>O(e.target.value),children:[...new Set([`error`,...B])].map(e=>(0,h.jsx)(`option`,{value:e,children:e},e))})]}),(0,h.jsx)(`div`,{className:`pad`,children:(0,h.jsx)(_,{days:N})}),(0,h.jsxs)(`table`,{className:`table`,children:[(0,h.jsx)(`thead`,{children:(0,h.jsxs)(`tr`,{children:[(0,h.jsx)(`th`,{children:`Category`}),(0,h.jsx)(`th`,{className:`num`,children:`Accepted`}),(0,h.jsx)(`th`,{className:`num`,children:`Rate limited`}),(0,h.jsx)(`th`,{className:`num`,children:`Dropped`}),(0,h.jsx)(`th`,{children:`Why refused`})]})}),(0,h.jsxs)(`tbody`,{children:[M.length===0&&(0,h.jsx)(`tr`,{children:(0,h.jsx)(`td`,{colSpan:5,className:`muted`,children:`Nothing received in 30 days.`})}),M.map(e=>(0,h.jsxs)(`tr`,{children:[(0,h.jsx)(`td`,{children:e.category}),(0,h.jsx)(`td`,{className:`num`,children:e.accepted}),(0,h.jsx)(`td`,{className:e.rateLimited?`num warn`:`num`,children:e.rateLimited}),(0,h.jsx)(`td`,{className:`num`,children:e.dropped}),(0,h.jsx)(`td`,{className:`small muted`,children:e.reasons.map(e=>`${e.reason} (${e.quantity})`).join(`, `)||`—`})]},e.category))]})]})]}),(0,h.jsxs)(`section`,{className:`card`,children:[(0,h.jsxs)(`div`,{className:`card-header`,children:[(0,h.jsx)(`h2`,{children:`Unresolved issues`}),(0,h.jsx)(l,{href:f.issues(e,t),className:`small`,children:`All issues →`})]}),A.issues.edges.length===0?(0,h.jsx)(`p`,{className:`muted pad`,children:`No unresolved issues.`}):(0,h.jsx)(`ul`,{className:`rows`,children:A.issues.edges.map(({node:n})=>(0,h.jsxs)(`li`,{className:`row-item`,children:[(0,h.jsxs)(`div`,{className:`row-main`,children:[(0,h.jsx)(l,{href:f.issue(e,t,n.id),className:`issue-title`,children:n.title}),(0,h.jsxs)(`div`,{className:`issue-meta`,children:[(0,h.jsx)(d,{level:n.level}),(0,h.jsx)(`span`,{className:`short-id`,children:n.shortId}),(0,h.jsx)(`span`,{className:`muted small`,title:u(n.lastSeen),children:c(n.lastSeen)})]})]}),(0,h.jsx)(`div`,{className:`num`,children:s(n.timesSeen)})]},n.id))})]})]}),(0,h.jsxs)(`section`,{className:`card`,children:[(0,h.jsxs)(`div`,{className:`card-header`,children:[(0,h.jsx)(`h2`,{children:`Release health`}),(0,h.jsxs)(`span`,{className:`muted small`,children:[F.total,` ended session`,F.total===1?``:`s`,` in 30 days · `,F.crashed,` crashed · `,F.abnormal,` abnormal · `,F.errored,` with errors`]})]}),I.length===0?(0,h.jsx)(`p`,{className:`muted pad`,children:`No sessions yet: SDKs send them when release health is on (the Python SDK does by default).`}):(0,h.jsxs)(`table`,{className:`table`,children:[(0,h.jsx)(`thead`,{children:(0,h.jsxs)(`tr`,{children:[(0,h.jsx)(`th`,{children:`Release`}),(0,h.jsx)(`th`,{className:`num`,children:`Sessions`}),(0,h.jsx)(`th`,{className:`num`,children:`Crashed`}),(0,h.jsx)(`th`,{className:`num`,children:`Abnormal`}),(0,h.jsx)(`th`,{className:`num`,children:`Errored`}),(0,h.jsx)(`th`,{children:`Crash-free`})]})}),(0,h.jsx)(`tbody`,{children:I.map(({release:e,health:t})=>(0,h.jsxs)(`tr`,{children:[(0,h.jsx)(`td`,{className:`mono small`,children:e||(0,h.jsx)(`span`,{className:`muted`,children:`no release`})}),(0,h.jsx)(`td`,{className:`num`,children:t.total}),(0,h.jsx)(`td`,{className:`num`,children:t.crashed}),(0,h.jsx)(`td`,{className:`num`,children:t.abnormal}),(0,h.jsx)(`td`,{className:`num`,children:t.errored}),(0,h.jsxs)(`td`,{children:[(0,h.jsx)(`div`,{className:`meter`,title:x(t.rate),children:(0,h.jsx)(`div`,{className:`meter-fill`,style:{width:`${(t.rate??0)*100}%`}})}),` `,(0,h.jsx)(`span`,{className:`small`,children:x(t.rate)})]})]},e))})]})]}),(0,h.jsxs)(`section`,{className:`card`,children:[(0,h.jsxs)(`div`,{className:`card-header`,children:[(0,h.jsx)(`h2`,{children:`Transactions`}),(0,h.jsxs)(`span`,{className:`muted small`,children:[A.transactions.totalCount,` in all, newest first`]})]}),A.transactions.edges.length===0?(0,h.jsx)(`p`,{className:`muted pad`,children:`No transactions: set traces_sample_rate in the SDK to send them.`}):(0,h.jsxs)(`table`,{className:`table`,children:[(0,h.jsx)(`thead`,{children:(0,h.jsxs)(`tr`,{children:[(0,h.jsx)(`th`,{children:`Transaction`}),(0,h.jsx)(`th`,{children:`Op`}),(0,h.jsx)(`th`,{children:`Status`}),(0,h.jsx)(`th`,{className:`num`,children:`Duration`}),(0,h.jsx)(`th`,{children:`Release`}),(0,h.jsx)(`th`,{children:`When`})]})}),(0,h.jsx)(`tbody`,{children:A.transactions.edges.map(({node:e})=>(0,h.jsxs)(`tr`,{children:[(0,h.jsx)(`td`,{className:`mono small`,children:e.name}),(0,h.jsx)(`td`,{className:`small`,children:e.op??`—`}),(0,h.jsx)(`td`,{className:`small`,children:e.status??`—`}),(0,h.jsx)(`td`,{className:`num`,children:e.durationMs==null?`—`:`${e.durationMs.toFixed(+(e.durationMs<10))} ms`}),(0,h.jsx)(`td`,{className:`small muted`,children:e.release??`—`}),(0,h.jsx)(`td`,{className:`small muted`,title:u(e.timestamp),children:c(e.timestamp)})]},e.eventId))})]})]}),(0,h.jsxs)(`div`,{className:`overview-columns`,children:[(0,h.jsxs)(`section`,{className:`card`,children:[(0,h.jsx)(`div`,{className:`card-header`,children:(0,h.jsx)(`h2`,{children:`Cron monitors`})}),A.monitors.length===0?(0,h.jsx)(`p`,{className:`muted pad`,children:`No monitors.`}):(0,h.jsxs)(`table`,{className:`table`,"data-testid":`monitors`,children:[(0,h.jsx)(`thead`,{children:(0,h.jsxs)(`tr`,{children:[(0,h.jsx)(`th`,{children:`Monitor`}),(0,h.jsx)(`th`,{children:`Status`}),(0,h.jsx)(`th`,{children:`Schedule`}),(0,h.jsx)(`th`,{children:`Last check-in`}),(0,h.jsx)(`th`,{children:`Next expected`})]})}),(0,h.jsx)(`tbody`,{children:A.monitors.map(e=>(0,h.jsxs)(`tr`,{children:[(0,h.jsx)(`td`,{className:`mono small`,children:e.slug}),(0,h.jsx)(`td`,{children:(0,h.jsx)(`span`,{className:`checkin checkin-${e.status.toLowerCase()}`,children:e.status.toLowerCase()})}),(0,h.jsxs)(`td`,{className:`mono small`,children:[e.schedule??`—`,e.timezone&&e.timezone!==`UTC`?` (${e.timezone})`:``]}),(0,h.jsx)(`td`,{className:`small muted`,title:e.lastCheckIn?u(e.lastCheckIn):void 0,children:e.lastCheckIn?c(e.lastCheckIn):`—`}),(0,h.jsx)(`td`,{className:`small muted`,children:e.nextExpected?u(e.nextExpected):`—`})]},e.slug))})]}),(0,h.jsx)(`div`,{className:`card-header`,children:(0,h.jsx)(`h2`,{children:`Cron check-ins`})}),A.checkIns.length===0?(0,h.jsx)(`p`,{className:`muted pad`,children:`No check-ins.`}):(0,h.jsx)(`table`,{className:`table`,"data-testid":`check-ins`,children:(0,h.jsx)(`tbody`,{children:A.checkIns.map(e=>(0,h.jsxs)(`tr`,{children:[(0,h.jsx)(`td`,{className:`mono small`,children:e.monitorSlug}),(0,h.jsx)(`td`,{children:(0,h.jsx)(`span`,{className:`checkin checkin-${e.status}`,children:e.status.replace(`_`,` `)})}),(0,h.jsx)(`td`,{className:`num small`,children:e.duration==null?`—`:`${e.duration.toFixed(1)} s`}),(0,h.jsx)(`td`,{className:`small muted`,title:u(e.lastReceived),children:c(e.lastReceived)})]},e.checkInId))})})]}),(0,h.jsxs)(`section`,{className:`card`,children:[(0,h.jsx)(`div`,{className:`card-header`,children:(0,h.jsx)(`h2`,{children:`User feedback`})}),A.feedback.length===0?(0,h.jsx)(`p`,{className:`muted pad`,children:`No feedback.`}):(0,h.jsx)(`ul`,{className:`rows`,children:A.feedback.map(e=>(0,h.jsx)(`li`,{className:`row-item`,children:(0,h.jsxs)(`div`,{className:`row-main`,children:[(0,h.jsx)(`div`,{className:`feedback-comments`,children:e.comments}),(0,h.jsxs)(`div`,{className:`muted small`,children:[e.name||e.email||`anonymous`,e.name&&e.email?` <${e.email}>`:``,` · `,(0,h.jsx)(`span`,{title:u(e.receivedAt),children:c(e.receivedAt)}),e.associatedEventId&&(0,h.jsxs)(h.Fragment,{children:[` · event `,(0,h.jsx)(`span`,{className:`mono`,children:e.associatedEventId.slice(0,8)})]})]})]})},e.feedbackId))})]})]})]})}function k({label:e,value:t,hint:n,testId:r,warn:i,exact:a}){return(0,h.jsxs)(`div`,{className:i?`tile warn`:`tile`,title:n,children:[(0,h.jsx)(`div`,{className:`count-label`,children:e}),(0,h.jsx)(`div`,{className:`count-value`,"data-testid":r,"data-value":a,title:a===void 0?void 0:String(a),children:t})]})}export{O as ProjectOverviewPage};