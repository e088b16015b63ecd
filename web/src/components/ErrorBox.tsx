// Shows what went wrong: a request's GraphQL or network error, or a mutation's userErrors.
// Nothing the server says is swallowed.
import type { CombinedError } from "urql";

export function errorMessages(error: CombinedError | undefined | null): string[] {
  if (!error) return [];
  if (error.networkError) return [`network error: ${error.networkError.message}`];
  return error.graphQLErrors.map((e) => e.message);
}

export function ErrorBox({
  error,
  userErrors,
  onDismiss,
}: {
  error?: CombinedError | null;
  userErrors?: readonly { message: string; field?: readonly string[] | null; code?: string | null }[];
  onDismiss?: () => void;
}) {
  const messages = [
    ...errorMessages(error),
    ...(userErrors ?? []).map((e) => (e.code ? `${e.message} (${e.code})` : e.message)),
  ];
  if (!messages.length) return null;
  return (
    <div className="error-box" role="alert">
      <ul>
        {messages.map((message, i) => (
          <li key={i}>{message}</li>
        ))}
      </ul>
      {onDismiss && (
        <button className="btn-link" onClick={onDismiss} aria-label="Dismiss">
          ×
        </button>
      )}
    </div>
  );
}
