"""stackline: a Sentry-compatible, event-sourced, GraphQL-first error tracker."""
