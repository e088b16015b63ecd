/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  mutation UpdateIssue($input: UpdateIssueInput!) {\n    updateIssue(input: $input) {\n      issue {\n        id\n        status\n        substatus\n        assignee\n        version\n      }\n      userErrors {\n        message\n        field\n        code\n      }\n    }\n  }\n": typeof types.UpdateIssueDocument,
    "\n  mutation MergeIssues($input: MergeIssuesInput!) {\n    mergeIssues(input: $input) {\n      issue {\n        id\n        shortId\n        timesSeen\n        version\n      }\n      userErrors {\n        message\n        field\n        code\n      }\n    }\n  }\n": typeof types.MergeIssuesDocument,
    "\n  query Members($org: String!) {\n    organization(slug: $org) {\n      id\n      members {\n        email\n        role\n      }\n    }\n  }\n": typeof types.MembersDocument,
    "\n  query IssueDetail($id: ID!) {\n    issue(id: $id) {\n      ...IssueListFields\n      firstRelease\n      groupingVariant\n      project {\n        id\n        slug\n        name\n      }\n      grouping {\n        config\n        variant\n        components\n        hashes\n      }\n      tagFacets(top: 5) {\n        key\n        count\n        distinctValues\n        topValues {\n          value\n          count\n        }\n      }\n      activity {\n        kind\n        actor\n        at\n        data\n      }\n    }\n  }\n": typeof types.IssueDetailDocument,
    "\n  query IssueStats($id: ID!, $period: StatsPeriod!) {\n    issue(id: $id) {\n      id\n      stats(period: $period) {\n        start\n        count\n        users\n      }\n    }\n  }\n": typeof types.IssueStatsDocument,
    "\n  query IssueEvents($id: ID!, $after: String) {\n    issue(id: $id) {\n      id\n      events(first: 50, after: $after) {\n        totalCount\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        edges {\n          node {\n            id\n            eventId\n            timestamp\n            title\n            level\n          }\n        }\n      }\n    }\n  }\n": typeof types.IssueEventsDocument,
    "\n  query EventDetail($org: String!, $project: String!, $eventId: String!) {\n    project(organizationSlug: $org, slug: $project) {\n      id\n      event(eventId: $eventId) {\n        id\n        eventId\n        timestamp\n        receivedAt\n        title\n        message\n        level\n        platform\n        tags {\n          key\n          value\n        }\n        payload\n      }\n    }\n  }\n": typeof types.EventDetailDocument,
    "\n  subscription IssueDetailChanges($projectId: ID!) {\n    issueChanges(projectId: $projectId) {\n      kind\n      issue {\n        id\n      }\n    }\n  }\n": typeof types.IssueDetailChangesDocument,
    "\n  mutation UnmergeIssue($input: UnmergeIssueInput!) {\n    unmergeIssue(input: $input) {\n      issue {\n        id\n      }\n      source {\n        id\n        version\n      }\n      userErrors {\n        message\n        field\n        code\n      }\n    }\n  }\n": typeof types.UnmergeIssueDocument,
    "\n  fragment IssueListFields on Issue {\n    id\n    shortId\n    title\n    culprit\n    level\n    status\n    substatus\n    timesSeen\n    userCount\n    firstSeen\n    lastSeen\n    lastRelease\n    assignee\n    version\n  }\n": typeof types.IssueListFieldsFragmentDoc,
    "\n  query IssueList($org: String!, $project: String!, $first: Int!, $after: String, $query: String, $sort: IssueSort) {\n    project(organizationSlug: $org, slug: $project) {\n      id\n      slug\n      name\n      issues(first: $first, after: $after, query: $query, sort: $sort) {\n        totalCount\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        edges {\n          node {\n            ...IssueListFields\n          }\n        }\n      }\n    }\n  }\n": typeof types.IssueListDocument,
    "\n  query IssueListStats($org: String!, $project: String!, $first: Int!, $after: String, $query: String, $sort: IssueSort) {\n    project(organizationSlug: $org, slug: $project) {\n      id\n      issues(first: $first, after: $after, query: $query, sort: $sort) {\n        edges {\n          node {\n            id\n            stats(period: HOUR_24) {\n              start\n              count\n            }\n          }\n        }\n      }\n    }\n  }\n": typeof types.IssueListStatsDocument,
    "\n  subscription IssueListChanges($projectId: ID!) {\n    issueChanges(projectId: $projectId) {\n      kind\n      committedAt\n      issue {\n        ...IssueListFields\n      }\n    }\n  }\n": typeof types.IssueListChangesDocument,
    "\n  query Viewer {\n    viewer {\n      tokenId\n      kind\n      email\n      organizations {\n        id\n        slug\n        name\n        projects {\n          id\n          slug\n          name\n          platform\n        }\n      }\n    }\n  }\n": typeof types.ViewerDocument,
};
const documents: Documents = {
    "\n  mutation UpdateIssue($input: UpdateIssueInput!) {\n    updateIssue(input: $input) {\n      issue {\n        id\n        status\n        substatus\n        assignee\n        version\n      }\n      userErrors {\n        message\n        field\n        code\n      }\n    }\n  }\n": types.UpdateIssueDocument,
    "\n  mutation MergeIssues($input: MergeIssuesInput!) {\n    mergeIssues(input: $input) {\n      issue {\n        id\n        shortId\n        timesSeen\n        version\n      }\n      userErrors {\n        message\n        field\n        code\n      }\n    }\n  }\n": types.MergeIssuesDocument,
    "\n  query Members($org: String!) {\n    organization(slug: $org) {\n      id\n      members {\n        email\n        role\n      }\n    }\n  }\n": types.MembersDocument,
    "\n  query IssueDetail($id: ID!) {\n    issue(id: $id) {\n      ...IssueListFields\n      firstRelease\n      groupingVariant\n      project {\n        id\n        slug\n        name\n      }\n      grouping {\n        config\n        variant\n        components\n        hashes\n      }\n      tagFacets(top: 5) {\n        key\n        count\n        distinctValues\n        topValues {\n          value\n          count\n        }\n      }\n      activity {\n        kind\n        actor\n        at\n        data\n      }\n    }\n  }\n": types.IssueDetailDocument,
    "\n  query IssueStats($id: ID!, $period: StatsPeriod!) {\n    issue(id: $id) {\n      id\n      stats(period: $period) {\n        start\n        count\n        users\n      }\n    }\n  }\n": types.IssueStatsDocument,
    "\n  query IssueEvents($id: ID!, $after: String) {\n    issue(id: $id) {\n      id\n      events(first: 50, after: $after) {\n        totalCount\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        edges {\n          node {\n            id\n            eventId\n            timestamp\n            title\n            level\n          }\n        }\n      }\n    }\n  }\n": types.IssueEventsDocument,
    "\n  query EventDetail($org: String!, $project: String!, $eventId: String!) {\n    project(organizationSlug: $org, slug: $project) {\n      id\n      event(eventId: $eventId) {\n        id\n        eventId\n        timestamp\n        receivedAt\n        title\n        message\n        level\n        platform\n        tags {\n          key\n          value\n        }\n        payload\n      }\n    }\n  }\n": types.EventDetailDocument,
    "\n  subscription IssueDetailChanges($projectId: ID!) {\n    issueChanges(projectId: $projectId) {\n      kind\n      issue {\n        id\n      }\n    }\n  }\n": types.IssueDetailChangesDocument,
    "\n  mutation UnmergeIssue($input: UnmergeIssueInput!) {\n    unmergeIssue(input: $input) {\n      issue {\n        id\n      }\n      source {\n        id\n        version\n      }\n      userErrors {\n        message\n        field\n        code\n      }\n    }\n  }\n": types.UnmergeIssueDocument,
    "\n  fragment IssueListFields on Issue {\n    id\n    shortId\n    title\n    culprit\n    level\n    status\n    substatus\n    timesSeen\n    userCount\n    firstSeen\n    lastSeen\n    lastRelease\n    assignee\n    version\n  }\n": types.IssueListFieldsFragmentDoc,
    "\n  query IssueList($org: String!, $project: String!, $first: Int!, $after: String, $query: String, $sort: IssueSort) {\n    project(organizationSlug: $org, slug: $project) {\n      id\n      slug\n      name\n      issues(first: $first, after: $after, query: $query, sort: $sort) {\n        totalCount\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        edges {\n          node {\n            ...IssueListFields\n          }\n        }\n      }\n    }\n  }\n": types.IssueListDocument,
    "\n  query IssueListStats($org: String!, $project: String!, $first: Int!, $after: String, $query: String, $sort: IssueSort) {\n    project(organizationSlug: $org, slug: $project) {\n      id\n      issues(first: $first, after: $after, query: $query, sort: $sort) {\n        edges {\n          node {\n            id\n            stats(period: HOUR_24) {\n              start\n              count\n            }\n          }\n        }\n      }\n    }\n  }\n": types.IssueListStatsDocument,
    "\n  subscription IssueListChanges($projectId: ID!) {\n    issueChanges(projectId: $projectId) {\n      kind\n      committedAt\n      issue {\n        ...IssueListFields\n      }\n    }\n  }\n": types.IssueListChangesDocument,
    "\n  query Viewer {\n    viewer {\n      tokenId\n      kind\n      email\n      organizations {\n        id\n        slug\n        name\n        projects {\n          id\n          slug\n          name\n          platform\n        }\n      }\n    }\n  }\n": types.ViewerDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateIssue($input: UpdateIssueInput!) {\n    updateIssue(input: $input) {\n      issue {\n        id\n        status\n        substatus\n        assignee\n        version\n      }\n      userErrors {\n        message\n        field\n        code\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateIssue($input: UpdateIssueInput!) {\n    updateIssue(input: $input) {\n      issue {\n        id\n        status\n        substatus\n        assignee\n        version\n      }\n      userErrors {\n        message\n        field\n        code\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation MergeIssues($input: MergeIssuesInput!) {\n    mergeIssues(input: $input) {\n      issue {\n        id\n        shortId\n        timesSeen\n        version\n      }\n      userErrors {\n        message\n        field\n        code\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation MergeIssues($input: MergeIssuesInput!) {\n    mergeIssues(input: $input) {\n      issue {\n        id\n        shortId\n        timesSeen\n        version\n      }\n      userErrors {\n        message\n        field\n        code\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Members($org: String!) {\n    organization(slug: $org) {\n      id\n      members {\n        email\n        role\n      }\n    }\n  }\n"): (typeof documents)["\n  query Members($org: String!) {\n    organization(slug: $org) {\n      id\n      members {\n        email\n        role\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query IssueDetail($id: ID!) {\n    issue(id: $id) {\n      ...IssueListFields\n      firstRelease\n      groupingVariant\n      project {\n        id\n        slug\n        name\n      }\n      grouping {\n        config\n        variant\n        components\n        hashes\n      }\n      tagFacets(top: 5) {\n        key\n        count\n        distinctValues\n        topValues {\n          value\n          count\n        }\n      }\n      activity {\n        kind\n        actor\n        at\n        data\n      }\n    }\n  }\n"): (typeof documents)["\n  query IssueDetail($id: ID!) {\n    issue(id: $id) {\n      ...IssueListFields\n      firstRelease\n      groupingVariant\n      project {\n        id\n        slug\n        name\n      }\n      grouping {\n        config\n        variant\n        components\n        hashes\n      }\n      tagFacets(top: 5) {\n        key\n        count\n        distinctValues\n        topValues {\n          value\n          count\n        }\n      }\n      activity {\n        kind\n        actor\n        at\n        data\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query IssueStats($id: ID!, $period: StatsPeriod!) {\n    issue(id: $id) {\n      id\n      stats(period: $period) {\n        start\n        count\n        users\n      }\n    }\n  }\n"): (typeof documents)["\n  query IssueStats($id: ID!, $period: StatsPeriod!) {\n    issue(id: $id) {\n      id\n      stats(period: $period) {\n        start\n        count\n        users\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query IssueEvents($id: ID!, $after: String) {\n    issue(id: $id) {\n      id\n      events(first: 50, after: $after) {\n        totalCount\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        edges {\n          node {\n            id\n            eventId\n            timestamp\n            title\n            level\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query IssueEvents($id: ID!, $after: String) {\n    issue(id: $id) {\n      id\n      events(first: 50, after: $after) {\n        totalCount\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        edges {\n          node {\n            id\n            eventId\n            timestamp\n            title\n            level\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query EventDetail($org: String!, $project: String!, $eventId: String!) {\n    project(organizationSlug: $org, slug: $project) {\n      id\n      event(eventId: $eventId) {\n        id\n        eventId\n        timestamp\n        receivedAt\n        title\n        message\n        level\n        platform\n        tags {\n          key\n          value\n        }\n        payload\n      }\n    }\n  }\n"): (typeof documents)["\n  query EventDetail($org: String!, $project: String!, $eventId: String!) {\n    project(organizationSlug: $org, slug: $project) {\n      id\n      event(eventId: $eventId) {\n        id\n        eventId\n        timestamp\n        receivedAt\n        title\n        message\n        level\n        platform\n        tags {\n          key\n          value\n        }\n        payload\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription IssueDetailChanges($projectId: ID!) {\n    issueChanges(projectId: $projectId) {\n      kind\n      issue {\n        id\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription IssueDetailChanges($projectId: ID!) {\n    issueChanges(projectId: $projectId) {\n      kind\n      issue {\n        id\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UnmergeIssue($input: UnmergeIssueInput!) {\n    unmergeIssue(input: $input) {\n      issue {\n        id\n      }\n      source {\n        id\n        version\n      }\n      userErrors {\n        message\n        field\n        code\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation UnmergeIssue($input: UnmergeIssueInput!) {\n    unmergeIssue(input: $input) {\n      issue {\n        id\n      }\n      source {\n        id\n        version\n      }\n      userErrors {\n        message\n        field\n        code\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment IssueListFields on Issue {\n    id\n    shortId\n    title\n    culprit\n    level\n    status\n    substatus\n    timesSeen\n    userCount\n    firstSeen\n    lastSeen\n    lastRelease\n    assignee\n    version\n  }\n"): (typeof documents)["\n  fragment IssueListFields on Issue {\n    id\n    shortId\n    title\n    culprit\n    level\n    status\n    substatus\n    timesSeen\n    userCount\n    firstSeen\n    lastSeen\n    lastRelease\n    assignee\n    version\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query IssueList($org: String!, $project: String!, $first: Int!, $after: String, $query: String, $sort: IssueSort) {\n    project(organizationSlug: $org, slug: $project) {\n      id\n      slug\n      name\n      issues(first: $first, after: $after, query: $query, sort: $sort) {\n        totalCount\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        edges {\n          node {\n            ...IssueListFields\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query IssueList($org: String!, $project: String!, $first: Int!, $after: String, $query: String, $sort: IssueSort) {\n    project(organizationSlug: $org, slug: $project) {\n      id\n      slug\n      name\n      issues(first: $first, after: $after, query: $query, sort: $sort) {\n        totalCount\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        edges {\n          node {\n            ...IssueListFields\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query IssueListStats($org: String!, $project: String!, $first: Int!, $after: String, $query: String, $sort: IssueSort) {\n    project(organizationSlug: $org, slug: $project) {\n      id\n      issues(first: $first, after: $after, query: $query, sort: $sort) {\n        edges {\n          node {\n            id\n            stats(period: HOUR_24) {\n              start\n              count\n            }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query IssueListStats($org: String!, $project: String!, $first: Int!, $after: String, $query: String, $sort: IssueSort) {\n    project(organizationSlug: $org, slug: $project) {\n      id\n      issues(first: $first, after: $after, query: $query, sort: $sort) {\n        edges {\n          node {\n            id\n            stats(period: HOUR_24) {\n              start\n              count\n            }\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription IssueListChanges($projectId: ID!) {\n    issueChanges(projectId: $projectId) {\n      kind\n      committedAt\n      issue {\n        ...IssueListFields\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription IssueListChanges($projectId: ID!) {\n    issueChanges(projectId: $projectId) {\n      kind\n      committedAt\n      issue {\n        ...IssueListFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Viewer {\n    viewer {\n      tokenId\n      kind\n      email\n      organizations {\n        id\n        slug\n        name\n        projects {\n          id\n          slug\n          name\n          platform\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Viewer {\n    viewer {\n      tokenId\n      kind\n      email\n      organizations {\n        id\n        slug\n        name\n        projects {\n          id\n          slug\n          name\n          platform\n        }\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;