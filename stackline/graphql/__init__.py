"""The GraphQL API (Strawberry): schema, resolvers and the ASGI view serving `/graphql`."""
