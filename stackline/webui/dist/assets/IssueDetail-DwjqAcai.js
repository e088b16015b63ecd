import{r as e}from"./rolldown-runtime-XKyaHtl9.js";import{s as t,u as n}from"./preload-helper-CtaAo5cR.js";import{_ as r,a as i,d as a,g as o,h as s,i as c,n as l,r as u,s as d,t as f,u as ee}from"./time-B_4i5suD.js";import{a as te,i as p,n as m,o as h,r as g,s as ne,t as re}from"./index-LckdQNb6.js";var _=e(n(),1),v=t();function y(e){let t=e?.exception,n=Array.isArray(t)?t:t?.values;return Array.isArray(n)?n:[]}function b({exceptions:e}){let[t,n]=(0,_.useState)(!1),r=[...e].reverse(),i=e.some(e=>(e.stacktrace?.frames??[]).some(e=>!e.in_app)),a=e.some(e=>(e.stacktrace?.frames??[]).some(e=>e.in_app));return(0,v.jsxs)(`div`,{className:`stacktrace`,children:[a&&i&&(0,v.jsxs)(`label`,{className:`toggle small`,children:[(0,v.jsx)(`input`,{type:`checkbox`,checked:t,onChange:e=>n(e.target.checked)}),` Show library frames`]}),r.map((e,n)=>(0,v.jsxs)(`div`,{className:`exception`,children:[n>0&&(0,v.jsx)(`div`,{className:`chain-note muted small`,children:`The above exception was raised while handling:`}),(0,v.jsxs)(`div`,{className:`exception-head`,children:[(0,v.jsx)(`span`,{className:`exception-type`,children:e.type??`Error`}),e.value&&(0,v.jsx)(`span`,{className:`exception-value`,children:e.value})]}),e.mechanism&&(0,v.jsxs)(`div`,{className:`muted small`,children:[`mechanism: `,e.mechanism.type??`generic`,e.mechanism.handled===!1&&(0,v.jsx)(`span`,{className:`unhandled`,children:` unhandled`}),e.mechanism.handled===!0&&` (handled)`]}),(0,v.jsx)(x,{frames:e.stacktrace?.frames??[],showAll:t||!a})]},n))]})}function x({frames:e,showAll:t}){let n=[...e].reverse(),r=e.some(e=>e.in_app),i=n.map((e,t)=>({frame:e,i:t})).filter(({frame:e})=>t||e.in_app);if(!e.length)return(0,v.jsx)(`div`,{className:`muted small`,children:`No stack trace.`});let a=n.length-i.length;return(0,v.jsxs)(`ol`,{className:`frames`,children:[i.map(({frame:e,i:t})=>(0,v.jsx)(S,{frame:e,initiallyOpen:r?!!e.in_app:t===0},t)),a>0&&(0,v.jsxs)(`li`,{className:`frames-hidden muted small`,children:[a,` library frames hidden`]})]})}function S({frame:e,initiallyOpen:t}){let[n,r]=(0,_.useState)(t),i=!!(e.context_line||e.vars),a=e.filename||e.abs_path||e.module||`<unknown>`;return(0,v.jsxs)(`li`,{className:`frame${e.in_app?` in-app`:``}${n?` open`:``}`,children:[(0,v.jsxs)(`button`,{className:`frame-head`,onClick:()=>i&&r(!n),"aria-expanded":n,disabled:!i,children:[(0,v.jsx)(`span`,{className:`frame-file`,children:a}),e.function&&(0,v.jsxs)(v.Fragment,{children:[` `,(0,v.jsx)(`span`,{className:`muted`,children:`in`}),` `,(0,v.jsx)(`span`,{className:`frame-function`,children:e.function})]}),e.lineno!=null&&(0,v.jsxs)(v.Fragment,{children:[` `,(0,v.jsx)(`span`,{className:`muted`,children:`at line`}),` `,(0,v.jsx)(`span`,{className:`frame-line`,children:e.lineno}),e.colno!=null&&(0,v.jsxs)(`span`,{className:`muted`,children:[`:`,e.colno]})]}),e.in_app&&(0,v.jsx)(`span`,{className:`badge in-app-badge`,children:`In App`}),i&&(0,v.jsx)(`span`,{className:`chevron`,children:n?`▾`:`▸`})]}),n&&i&&(0,v.jsxs)(`div`,{className:`frame-body`,children:[e.context_line!=null&&(0,v.jsx)(C,{frame:e}),e.vars&&Object.keys(e.vars).length>0&&(0,v.jsx)(w,{vars:e.vars})]})]})}function C({frame:e}){let t=e.pre_context??[],n=e.post_context??[],r=e.lineno??t.length+1,i=[...t.map((e,n)=>({n:r-t.length+n,text:e,current:!1})),{n:r,text:e.context_line??``,current:!0},...n.map((e,t)=>({n:r+1+t,text:e,current:!1}))];return(0,v.jsx)(`ol`,{className:`context`,start:i[0].n,children:i.map(e=>(0,v.jsxs)(`li`,{className:e.current?`current`:``,value:e.n,children:[(0,v.jsx)(`span`,{className:`lineno`,children:e.n}),(0,v.jsx)(`code`,{children:e.text})]},e.n))})}function w({vars:e}){return(0,v.jsx)(`table`,{className:`vars`,children:(0,v.jsx)(`tbody`,{children:Object.entries(e).map(([e,t])=>(0,v.jsxs)(`tr`,{children:[(0,v.jsx)(`th`,{children:e}),(0,v.jsx)(`td`,{children:(0,v.jsx)(`code`,{children:typeof t==`string`?t:JSON.stringify(t,null,1)})})]},e))})})}function T(e){return e&&typeof e==`object`&&!Array.isArray(e)?e:null}function E(e){let t=e.breadcrumbs,n=Array.isArray(t)?t:T(t)?.values;return Array.isArray(n)?n:[]}function D(e){return e==null?``:typeof e==`string`?e:JSON.stringify(e)}function O(e){if(e===void 0)return``;let t=typeof e==`number`?new Date(e*1e3):new Date(e);return Number.isNaN(t.getTime())?String(e):t.toISOString().slice(11,23)}function k({data:e}){let t=Object.entries(e).filter(([,e])=>e!=null&&e!==``);return t.length?(0,v.jsx)(`table`,{className:`kv`,children:(0,v.jsx)(`tbody`,{children:t.map(([e,t])=>(0,v.jsxs)(`tr`,{children:[(0,v.jsx)(`th`,{children:e}),(0,v.jsx)(`td`,{children:(0,v.jsx)(`code`,{children:D(t)})})]},e))})}):(0,v.jsx)(`div`,{className:`muted small`,children:`—`})}function ie({payload:e,tags:t}){let n=T(e)??{},r=y(n),i=E(n),a=T(n.contexts)??{},o=T(n.user),s=T(n.request),c=T(n.logentry),l=D(c?.formatted??c?.message??n.message);return(0,v.jsxs)(`div`,{className:`event-view`,children:[l&&(0,v.jsxs)(`section`,{className:`section`,children:[(0,v.jsx)(`h3`,{children:`Message`}),(0,v.jsx)(`pre`,{className:`message`,children:l})]}),r.length>0&&(0,v.jsxs)(`section`,{className:`section`,children:[(0,v.jsxs)(`h3`,{children:[`Exception`,r.length>1?`s (${r.length}, chained)`:``]}),(0,v.jsx)(b,{exceptions:r})]}),i.length>0&&(0,v.jsxs)(`section`,{className:`section`,children:[(0,v.jsx)(`h3`,{children:`Breadcrumbs`}),(0,v.jsxs)(`table`,{className:`breadcrumbs`,children:[(0,v.jsx)(`thead`,{children:(0,v.jsxs)(`tr`,{children:[(0,v.jsx)(`th`,{children:`Time`}),(0,v.jsx)(`th`,{children:`Category`}),(0,v.jsx)(`th`,{children:`Level`}),(0,v.jsx)(`th`,{children:`Description`})]})}),(0,v.jsx)(`tbody`,{children:i.map((e,t)=>(0,v.jsxs)(`tr`,{className:`crumb level-${e.level??`info`}`,children:[(0,v.jsx)(`td`,{className:`mono small`,children:O(e.timestamp)}),(0,v.jsx)(`td`,{children:e.category??e.type??`default`}),(0,v.jsx)(`td`,{children:e.level??`info`}),(0,v.jsxs)(`td`,{children:[e.message,e.data&&Object.keys(e.data).length>0&&(0,v.jsx)(`code`,{className:`crumb-data`,children:JSON.stringify(e.data)})]})]},t))})]})]}),t.length>0&&(0,v.jsxs)(`section`,{className:`section`,children:[(0,v.jsx)(`h3`,{children:`Tags`}),(0,v.jsx)(`div`,{className:`tags`,children:t.map(e=>(0,v.jsxs)(`span`,{className:`tag`,children:[(0,v.jsx)(`span`,{className:`tag-key`,children:e.key}),(0,v.jsx)(`span`,{className:`tag-value`,children:e.value})]},`${e.key}=${e.value}`))})]}),s&&(0,v.jsxs)(`section`,{className:`section`,children:[(0,v.jsx)(`h3`,{children:`Request`}),(0,v.jsx)(k,{data:s})]}),o&&(0,v.jsxs)(`section`,{className:`section`,children:[(0,v.jsx)(`h3`,{children:`User`}),(0,v.jsx)(k,{data:o})]}),Object.keys(a).length>0&&(0,v.jsxs)(`section`,{className:`section`,children:[(0,v.jsx)(`h3`,{children:`Contexts`}),(0,v.jsx)(`div`,{className:`contexts`,children:Object.entries(a).map(([e,t])=>(0,v.jsxs)(`div`,{className:`context-card`,children:[(0,v.jsx)(`h4`,{children:e}),(0,v.jsx)(k,{data:T(t)??{value:t}})]},e))})]})]})}var ae=c(`
  query IssueDetail($id: ID!) {
    issue(id: $id) {
      ...IssueListFields
      firstRelease
      groupingVariant
      project {
        id
        slug
        name
      }
      grouping {
        config
        variant
        components
        hashes
      }
      tagFacets(top: 5) {
        key
        count
        distinctValues
        topValues {
          value
          count
        }
      }
      activity {
        kind
        actor
        at
        data
      }
    }
  }
`),oe=c(`
  query IssueStats($id: ID!, $period: StatsPeriod!) {
    issue(id: $id) {
      id
      stats(period: $period) {
        start
        count
        users
      }
    }
  }
`),A=c(`
  query IssueEvents($id: ID!, $after: String) {
    issue(id: $id) {
      id
      events(first: 50, after: $after) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        edges {
          node {
            id
            eventId
            timestamp
            title
            level
          }
        }
      }
    }
  }
`),j=c(`
  query EventDetail($org: String!, $project: String!, $eventId: String!) {
    project(organizationSlug: $org, slug: $project) {
      id
      event(eventId: $eventId) {
        id
        eventId
        timestamp
        receivedAt
        title
        message
        level
        platform
        tags {
          key
          value
        }
        payload
      }
    }
  }
`),M=c(`
  subscription IssueDetailChanges($projectId: ID!) {
    issueChanges(projectId: $projectId) {
      kind
      issue {
        id
      }
    }
  }
`),N=c(`
  mutation UnmergeIssue($input: UnmergeIssueInput!) {
    unmergeIssue(input: $input) {
      issue {
        id
      }
      source {
        id
        version
      }
      userErrors {
        message
        field
        code
      }
    }
  }
`),P=[{value:`HOUR_24`,label:`24 h`},{value:`DAY_14`,label:`14 d`},{value:`DAY_30`,label:`30 d`}];function F(){let{org:e,project:t,issueId:n,eventId:c}=a(),[,y]=ee(),[b,x]=(0,_.useState)(`HOUR_24`),[S,C]=r({query:ae,variables:{id:n}}),[w,T]=r({query:oe,variables:{id:n,period:b}}),[E,D]=(0,_.useState)([null]);(0,_.useEffect)(()=>D([null]),[n]);let O=s(),[k,F]=(0,_.useState)([]),[I,R]=(0,_.useState)({total:0,hasNext:!1,end:null}),[z,B]=(0,_.useState)(0);(0,_.useEffect)(()=>{let e=!1;return Promise.all(E.map(e=>O.query(A,{id:n,after:e},{requestPolicy:`network-only`}).toPromise())).then(t=>{if(e)return;let n=t.flatMap(e=>e.data?.issue?.events.edges.map(e=>e.node)??[]),r=t[t.length-1]?.data?.issue?.events;F(n),R({total:r?.totalCount??n.length,hasNext:!!r?.pageInfo.hasNextPage,end:r?.pageInfo.endCursor??null})}),()=>{e=!0}},[O,n,E,z]);let V=c??k[0]?.eventId,[H]=r({query:j,variables:{org:e,project:t,eventId:V??``},pause:!V}),U=S.data?.issue;re(U?`${U.shortId} · ${U.title}`:null);let W=U?.project.id;(0,_.useEffect)(()=>{if(!W)return;let e=O.subscription(M,{projectId:W}).subscribe(e=>{e.data?.issueChanges.issue.id===n&&(C({requestPolicy:`network-only`}),T({requestPolicy:`network-only`}),B(e=>e+1))});return()=>e.unsubscribe()},[O,W,n,C,T]);let{connections:G}=ne();(0,_.useEffect)(()=>{G>1&&(C({requestPolicy:`network-only`}),B(e=>e+1))},[G,C]);let[,se]=o(N),[ce,K]=(0,_.useState)([]),q=(0,_.useMemo)(()=>k.findIndex(e=>e.eventId===V),[k,V]),J=q>0?k[q-1]:null,Y=q>=0&&q+1<k.length?k[q+1]:null,[X,Z]=(0,_.useState)(!1);if((0,_.useEffect)(()=>{X&&Y&&(Z(!1),y(h.event(e,t,n,Y.eventId)))},[X,Y,y,e,t,n]),S.error&&!U)return(0,v.jsx)(`div`,{className:`page`,children:(0,v.jsx)(i,{error:S.error})});if(S.fetching&&!U)return(0,v.jsx)(`div`,{className:`page muted`,children:`Loading…`});if(!U)return(0,v.jsx)(`div`,{className:`page`,children:(0,v.jsx)(i,{userErrors:[{message:`issue not found`}]})});let Q=H.data?.project?.event,$=Q?.payload??{};return(0,v.jsxs)(`div`,{className:`page wide issue-page`,children:[(0,v.jsxs)(`div`,{className:`breadcrumb small`,children:[(0,v.jsx)(d,{href:h.issues(e,t),children:`← Issues`}),` `,(0,v.jsxs)(`span`,{className:`muted`,children:[`/ `,U.shortId]})]}),(0,v.jsxs)(`div`,{className:`issue-header`,children:[(0,v.jsxs)(`div`,{className:`issue-header-main`,children:[(0,v.jsxs)(`h1`,{className:`issue-h1`,children:[(0,v.jsx)(p,{level:U.level}),` `,U.title]}),(0,v.jsxs)(`div`,{className:`issue-meta`,children:[(0,v.jsx)(`span`,{className:`short-id`,children:U.shortId}),(0,v.jsx)(te,{status:U.status,substatus:U.substatus}),U.culprit&&(0,v.jsx)(`span`,{className:`culprit`,children:U.culprit})]})]}),(0,v.jsxs)(`div`,{className:`issue-counts`,children:[(0,v.jsxs)(`div`,{children:[(0,v.jsx)(`div`,{className:`count-label`,children:`Events`}),(0,v.jsx)(`div`,{className:`count-value`,"data-testid":`times-seen`,children:l(U.timesSeen)})]}),(0,v.jsxs)(`div`,{children:[(0,v.jsx)(`div`,{className:`count-label`,children:`Users`}),(0,v.jsx)(`div`,{className:`count-value`,children:l(U.userCount)})]})]})]}),(0,v.jsx)(m,{org:e,targets:[U]}),(0,v.jsxs)(`div`,{className:`issue-columns`,children:[(0,v.jsxs)(`div`,{className:`issue-main`,children:[(0,v.jsxs)(`section`,{className:`card`,children:[(0,v.jsxs)(`div`,{className:`card-header`,children:[(0,v.jsx)(`h2`,{children:`Events over time`}),(0,v.jsx)(`div`,{className:`btn-group`,role:`group`,"aria-label":`Stats period`,children:P.map(e=>(0,v.jsx)(`button`,{className:b===e.value?`btn btn-small active`:`btn btn-small`,onClick:()=>x(e.value),children:e.label},e.value))})]}),(0,v.jsx)(`div`,{className:`pad`,children:w.error?(0,v.jsx)(i,{error:w.error}):(0,v.jsx)(g,{buckets:w.data?.issue?.stats??[],period:b})})]}),(0,v.jsxs)(`section`,{className:`card`,children:[(0,v.jsxs)(`div`,{className:`card-header event-nav`,children:[(0,v.jsxs)(`h2`,{children:[`Event `,(0,v.jsx)(`span`,{className:`mono small`,children:V?.slice(0,8)??`—`})]}),(0,v.jsxs)(`span`,{className:`muted small`,children:[Q&&(0,v.jsx)(`span`,{title:f(Q.timestamp),children:u(Q.timestamp)}),typeof $.release==`string`&&(0,v.jsxs)(v.Fragment,{children:[` · release `,(0,v.jsx)(`b`,{children:$.release})]}),typeof $.environment==`string`&&(0,v.jsxs)(v.Fragment,{children:[` · env `,(0,v.jsx)(`b`,{children:$.environment})]}),q>=0&&` · ${q+1} of ${I.total}`]}),(0,v.jsxs)(`div`,{className:`btn-group`,children:[(0,v.jsx)(`button`,{className:`btn btn-small`,disabled:!J,onClick:()=>J&&y(h.event(e,t,n,J.eventId)),children:`← Newer`}),(0,v.jsx)(`button`,{className:`btn btn-small`,disabled:!Y&&!I.hasNext,onClick:()=>{Y?y(h.event(e,t,n,Y.eventId)):I.hasNext&&(Z(!0),D([...E,I.end]))},children:`Older →`})]})]}),(0,v.jsxs)(`div`,{className:`pad`,children:[H.error&&(0,v.jsx)(i,{error:H.error}),Q?(0,v.jsx)(ie,{payload:Q.payload,tags:Q.tags}):(0,v.jsx)(`div`,{className:`muted`,children:V?`Loading event…`:`No events.`})]})]}),(0,v.jsxs)(`section`,{className:`card`,children:[(0,v.jsxs)(`div`,{className:`card-header`,children:[(0,v.jsx)(`h2`,{children:`Events`}),(0,v.jsxs)(`span`,{className:`muted small`,children:[I.total,` in all`]})]}),(0,v.jsx)(`table`,{className:`events-table`,children:(0,v.jsx)(`tbody`,{children:k.map(r=>(0,v.jsxs)(`tr`,{className:r.eventId===V?`current`:``,children:[(0,v.jsx)(`td`,{className:`mono small`,children:(0,v.jsx)(d,{href:h.event(e,t,n,r.eventId),children:r.eventId.slice(0,12)})}),(0,v.jsx)(`td`,{children:r.title}),(0,v.jsx)(`td`,{className:`small muted`,title:f(r.timestamp),children:u(r.timestamp)})]},r.id))})}),I.hasNext&&(0,v.jsx)(`div`,{className:`pad`,children:(0,v.jsx)(`button`,{className:`btn btn-small`,onClick:()=>D([...E,I.end]),children:`Load older events`})})]})]}),(0,v.jsxs)(`aside`,{className:`issue-side`,children:[(0,v.jsx)(`section`,{className:`card pad`,children:(0,v.jsx)(`table`,{className:`kv`,children:(0,v.jsxs)(`tbody`,{children:[(0,v.jsxs)(`tr`,{children:[(0,v.jsx)(`th`,{children:`First seen`}),(0,v.jsx)(`td`,{title:f(U.firstSeen),children:u(U.firstSeen)})]}),(0,v.jsxs)(`tr`,{children:[(0,v.jsx)(`th`,{children:`Last seen`}),(0,v.jsx)(`td`,{title:f(U.lastSeen),children:u(U.lastSeen)})]}),(0,v.jsxs)(`tr`,{children:[(0,v.jsx)(`th`,{children:`First release`}),(0,v.jsx)(`td`,{children:U.firstRelease??`—`})]}),(0,v.jsxs)(`tr`,{children:[(0,v.jsx)(`th`,{children:`Last release`}),(0,v.jsx)(`td`,{children:U.lastRelease??`—`})]}),(0,v.jsxs)(`tr`,{children:[(0,v.jsx)(`th`,{children:`Assignee`}),(0,v.jsx)(`td`,{children:U.assignee??`—`})]})]})})}),(0,v.jsxs)(`section`,{className:`card`,children:[(0,v.jsx)(`div`,{className:`card-header`,children:(0,v.jsx)(`h2`,{children:`Tags`})}),(0,v.jsxs)(`div`,{className:`pad facets`,children:[U.tagFacets==null&&(0,v.jsx)(`div`,{className:`muted small`,children:`Tag counts unavailable.`}),U.tagFacets?.length===0&&(0,v.jsx)(`div`,{className:`muted small`,children:`No tags.`}),(U.tagFacets??[]).map(e=>(0,v.jsxs)(`div`,{className:`facet`,children:[(0,v.jsxs)(`div`,{className:`facet-key`,children:[e.key,` `,(0,v.jsxs)(`span`,{className:`muted small`,children:[e.distinctValues,` value`,e.distinctValues===1?``:`s`]})]}),e.topValues.map(t=>(0,v.jsxs)(`div`,{className:`facet-value`,title:`${t.count} of ${e.count} events`,children:[(0,v.jsx)(`div`,{className:`facet-bar`,style:{width:`${Math.max(2,t.count/Math.max(1,e.count)*100)}%`}}),(0,v.jsx)(`span`,{className:`facet-label`,children:t.value}),(0,v.jsxs)(`span`,{className:`facet-pct`,children:[Math.round(t.count/Math.max(1,e.count)*100),`%`]})]},t.value))]},e.key))]})]}),U.grouping&&(0,v.jsxs)(`section`,{className:`card`,children:[(0,v.jsx)(`div`,{className:`card-header`,children:(0,v.jsx)(`h2`,{children:`Grouping`})}),(0,v.jsxs)(`div`,{className:`pad small`,children:[(0,v.jsxs)(`div`,{children:[(0,v.jsx)(`span`,{className:`muted`,children:`rule`}),` `,U.grouping.variant,` `,(0,v.jsx)(`span`,{className:`muted`,children:`· config`}),` `,U.grouping.config]}),(0,v.jsx)(`ul`,{className:`hashes`,children:U.grouping.hashes.map(e=>(0,v.jsxs)(`li`,{children:[(0,v.jsx)(`code`,{children:e.slice(0,16)}),U.grouping.hashes.length>1&&(0,v.jsx)(`button`,{className:`btn btn-small`,onClick:async()=>{let t=await se({input:{issueId:U.id,hash:e,expectedVersion:U.version}}),n=[...t.data?.unmergeIssue.userErrors??[]];t.error&&n.push({message:t.error.message}),K(n),n.length||C({requestPolicy:`network-only`})},children:`Unmerge`})]},e))}),(0,v.jsx)(i,{userErrors:ce,onDismiss:()=>K([])})]})]}),(0,v.jsxs)(`section`,{className:`card`,children:[(0,v.jsx)(`div`,{className:`card-header`,children:(0,v.jsx)(`h2`,{children:`Activity`})}),(0,v.jsx)(`ol`,{className:`activity pad`,children:[...U.activity].reverse().map((e,t)=>(0,v.jsxs)(`li`,{children:[(0,v.jsx)(`span`,{className:`activity-kind`,children:e.kind.replace(/^Issue/,``)}),` `,(0,v.jsxs)(`span`,{className:`muted small`,children:[e.actor?`by ${e.actor} · `:``,(0,v.jsx)(`span`,{title:f(e.at),children:u(e.at)})]}),(0,v.jsx)(L,{data:e.data})]},t))})]})]})]})]})}var I=/(^|_)(id|ids|hash|hashes|position)$/;function L({data:e}){if(!e||typeof e!=`object`)return null;let t=Object.entries(e).filter(([e,t])=>t!=null&&t!==``&&t!==!1&&!I.test(e));return t.length?(0,v.jsx)(`div`,{className:`activity-data small muted`,children:t.map(([e,t])=>`${e}: ${typeof t==`string`?t:JSON.stringify(t)}`).join(` · `)}):null}export{F as IssueDetailPage};