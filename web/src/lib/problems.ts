// What a mutation's answer says went wrong, as one list for an ErrorBox: the request's GraphQL or
// network error and the payload's userErrors. Nothing the server says is dropped.
import type { CombinedError } from "urql";
import { errorMessages } from "../components/ErrorBox";

export interface Problem {
  message: string;
  field?: readonly string[] | null;
  code?: string | null;
}

export function problems(
  result: { error?: CombinedError | null },
  payload: { userErrors: readonly Problem[] } | null | undefined,
): Problem[] {
  return [...errorMessages(result.error).map((message) => ({ message })), ...(payload?.userErrors ?? [])];
}
