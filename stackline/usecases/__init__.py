"""Use cases: what a caller of the API asks of stackline, apart from how it asks (GraphQL today).

Each function takes the services, the viewer and plain input; it authorizes (the organizations
where the viewer holds the scope), normalizes the input, runs the command, waits until the read
model shows the change (read-your-writes) and answers with read-model rows or a `Refusal`.
Resolvers in `stackline/graphql/` decode global ids, call one use case and map its answer to
their payload. Use cases never write read models and never import strawberry.
"""
