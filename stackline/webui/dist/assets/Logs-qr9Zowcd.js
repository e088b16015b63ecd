import{r as e}from"./rolldown-runtime-XKyaHtl9.js";import{s as t,u as n}from"./preload-helper-CtaAo5cR.js";import{_ as r,a as i,d as a,i as o,t as s}from"./time-B_4i5suD.js";import{i as c}from"./index-LckdQNb6.js";/* empty css                 */var l=e(n(),1),u=t(),d=o(`
  query ProjectLogs($org: String!, $project: String!, $query: String, $after: String) {
    project(organizationSlug: $org, slug: $project) {
      id
      logs(query: $query, first: 50, after: $after) {
        edges {
          cursor
          node {
            logId
            timestamp
            level
            body
            attributes
            traceId
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`),f={warn:`warning`,trace:`debug`};function p(){let{org:e,project:t}=a(),[n,r]=(0,l.useState)(``),[i,o]=(0,l.useState)(``),[s,c]=(0,l.useState)([null]);function d(e){e.preventDefault(),o(n.trim()),c([null])}return(0,u.jsxs)(`div`,{className:`page wide`,children:[(0,u.jsx)(`div`,{className:`page-header`,children:(0,u.jsxs)(`h1`,{children:[`Logs `,(0,u.jsx)(`span`,{className:`muted`,children:`· newest first`})]})}),(0,u.jsxs)(`form`,{className:`logs-search`,onSubmit:d,children:[(0,u.jsx)(`input`,{"aria-label":`Search logs`,placeholder:`level:error checkout  trace:<id>  attribute:value  "a phrase"`,value:n,onChange:e=>r(e.target.value)}),(0,u.jsx)(`button`,{type:`submit`,children:`Search`})]}),(0,u.jsx)(`section`,{className:`card`,children:(0,u.jsx)(`table`,{className:`table logs-table`,"data-testid":`logs`,children:(0,u.jsx)(`tbody`,{children:s.map((n,r)=>(0,u.jsx)(m,{org:e,project:t,query:i,after:n,last:r===s.length-1,onMore:e=>c([...s,e])},`${i}|${n}`))})})})]})}function m({org:e,project:t,query:n,after:a,last:o,onMore:s}){let[c]=r({query:d,variables:{org:e,project:t,query:n||null,after:a},requestPolicy:`cache-and-network`}),[f,p]=(0,l.useState)(null);if(c.error)return(0,u.jsx)(`tr`,{children:(0,u.jsx)(`td`,{colSpan:4,children:(0,u.jsx)(i,{error:c.error})})});let m=c.data?.project?.logs;return m?(0,u.jsxs)(u.Fragment,{children:[a===null&&m.edges.length===0&&(0,u.jsx)(`tr`,{children:(0,u.jsxs)(`td`,{colSpan:4,className:`muted pad`,children:[`No logs`,n?` match this search`:` yet: send some with the SDK's enable_logs`,`.`]})}),m.edges.map(({node:e})=>(0,u.jsx)(h,{node:e,open:f===e.logId,toggle:()=>p(f===e.logId?null:e.logId)},e.logId)),o&&m.pageInfo.hasNextPage&&m.pageInfo.endCursor&&(0,u.jsx)(`tr`,{children:(0,u.jsx)(`td`,{colSpan:4,children:(0,u.jsx)(`button`,{type:`button`,onClick:()=>s(m.pageInfo.endCursor),children:`Load older`})})})]}):(0,u.jsx)(`tr`,{children:(0,u.jsx)(`td`,{colSpan:4,className:`muted`,children:c.fetching?`Loading…`:`project not found`})})}function h({node:e,open:t,toggle:n}){return(0,u.jsxs)(u.Fragment,{children:[(0,u.jsxs)(`tr`,{className:`log-row`,onClick:n,children:[(0,u.jsx)(`td`,{className:`small muted nowrap`,title:e.timestamp,children:s(e.timestamp)}),(0,u.jsx)(`td`,{children:(0,u.jsx)(c,{level:f[e.level]??e.level})}),(0,u.jsx)(`td`,{className:`log-body`,children:e.body}),(0,u.jsx)(`td`,{className:`mono small muted`,children:e.traceId?e.traceId.slice(0,8):``})]}),t&&(0,u.jsx)(`tr`,{className:`log-attributes`,children:(0,u.jsx)(`td`,{colSpan:4,children:(0,u.jsxs)(`dl`,{children:[e.traceId&&(0,u.jsxs)(u.Fragment,{children:[(0,u.jsx)(`dt`,{children:`trace`}),(0,u.jsx)(`dd`,{className:`mono`,children:e.traceId})]}),Object.entries(e.attributes??{}).map(([e,t])=>(0,u.jsxs)(`div`,{className:`log-attribute`,children:[(0,u.jsx)(`dt`,{className:`mono`,children:e}),(0,u.jsx)(`dd`,{className:`mono`,children:JSON.stringify(t.value)})]},e))]})})})]})}export{p as LogsPage};