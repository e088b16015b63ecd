// Project settings, "API tokens": the caller's personal tokens and (owners) the organization's
// tokens, creating one (its secret is shown once, only its hash is stored) and revoking.
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import { ALL_SCOPES, type Access } from "../../lib/permissions";
import { problems, type Problem } from "../../lib/problems";
import { absolute, timeAgo } from "../../lib/time";
import { CopyButton } from "../CopyButton";
import { ErrorBox } from "../ErrorBox";

const PersonalTokensDocument = graphql(`
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
`);

const OrganizationTokensDocument = graphql(`
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
`);

const CreateApiTokenDocument = graphql(`
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
`);

const RevokeApiTokenDocument = graphql(`
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
`);

interface TokenRow {
  tokenId: string;
  label: string;
  scopes: readonly string[];
  createdAt: string;
  expiresAt?: string | null;
  revokedAt?: string | null;
}

export function Tokens({ org, access, personal, currentTokenId }: { org: string; access: Access | null; personal: boolean; currentTokenId: string }) {
  const [{ data: mine, error: mineError }, refetchMine] = useQuery({ query: PersonalTokensDocument, pause: !personal });
  const owner = !!access?.owner;
  const [{ data: orgTokens, error: orgError }, refetchOrg] = useQuery({ query: OrganizationTokensDocument, variables: { org }, pause: !owner });
  const [secret, setSecret] = useState<{ label: string; token: string } | null>(null);
  const [errors, setErrors] = useState<Problem[]>([]);
  const [, revoke] = useMutation(RevokeApiTokenDocument);
  const reload = () => {
    if (personal) refetchMine({ requestPolicy: "network-only" });
    if (owner) refetchOrg({ requestPolicy: "network-only" });
  };

  async function revokeToken(row: TokenRow) {
    const self = row.tokenId === currentTokenId ? " This is the token you are using: you will be logged out." : "";
    if (!window.confirm(`Revoke the token "${row.label || row.tokenId}"?${self}`)) return;
    const result = await revoke({ input: { tokenId: row.tokenId } });
    const found = problems(result, result.data?.revokeApiToken);
    setErrors(found);
    if (!found.length) reload();
  }

  return (
    <section className="card" id="tokens">
      <div className="card-header">
        <h2>API tokens</h2>
        <span className="muted small">only a token's hash is stored: its secret is shown once</span>
      </div>
      {secret && (
        <div className="secret-box pad" role="status">
          <div>
            <b>New token “{secret.label}”</b> — copy it now, it is not shown again.
          </div>
          <div className="copy-row">
            <input className="mono-input" readOnly value={secret.token} aria-label="New API token" />
            <CopyButton text={secret.token} />
            <button className="btn btn-small" onClick={() => setSecret(null)}>
              Done
            </button>
          </div>
        </div>
      )}
      <ErrorBox userErrors={errors} onDismiss={() => setErrors([])} />
      {personal && (
        <TokenTable
          title="Your personal tokens"
          error={mineError}
          rows={mine?.viewer.personalTokens ?? []}
          currentTokenId={currentTokenId}
          canRevoke
          onRevoke={revokeToken}
        />
      )}
      {owner ? (
        <TokenTable
          title={`Organization tokens of ${org}`}
          error={orgError}
          rows={orgTokens?.organization?.apiTokens ?? []}
          currentTokenId={currentTokenId}
          canRevoke
          onRevoke={revokeToken}
        />
      ) : (
        <p className="muted small pad">Organization tokens are managed by the organization's owners.</p>
      )}
      {/* The form starts from the viewer's rights (its kinds, its scopes checked), so it waits
          for them: mounted before they arrived, it would offer no scope and no organization token. */}
      {access && (
        <NewToken
          key={`${personal}:${owner}:${[...access.scopes].sort().join(",")}`}
          org={org}
          access={access}
          personal={personal}
          owner={owner}
          onCreated={(label, token) => {
            setSecret({ label, token });
            reload();
          }}
        />
      )}
    </section>
  );
}

function TokenTable({
  title,
  rows,
  error,
  currentTokenId,
  canRevoke,
  onRevoke,
}: {
  title: string;
  rows: readonly TokenRow[];
  error?: Parameters<typeof ErrorBox>[0]["error"];
  currentTokenId: string;
  canRevoke: boolean;
  onRevoke: (row: TokenRow) => void;
}) {
  const now = Date.now();
  return (
    <div className="subsection">
      <h3 className="pad-x">{title}</h3>
      <ErrorBox error={error} />
      {rows.length === 0 ? (
        <p className="muted small pad-x">None.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Label</th>
              <th>Scopes</th>
              <th>Created</th>
              <th>Expires</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((t) => {
              const expired = !!t.expiresAt && Date.parse(t.expiresAt) < now;
              return (
                <tr key={t.tokenId} className={t.revokedAt || expired ? "dim" : ""}>
                  <td>
                    {t.label || <span className="muted">unnamed</span>} <span className="mono small muted">{t.tokenId.slice(0, 8)}</span>
                    {t.tokenId === currentTokenId && <span className="badge in-app-badge">this session</span>}
                  </td>
                  <td className="small">{t.scopes.join(" ")}</td>
                  <td className="small muted" title={absolute(t.createdAt)}>
                    {timeAgo(t.createdAt)}
                  </td>
                  <td className="small muted">{t.expiresAt ? absolute(t.expiresAt) : "never"}</td>
                  <td className="actions">
                    {t.revokedAt ? (
                      <span className="muted small" title={absolute(t.revokedAt)}>
                        revoked
                      </span>
                    ) : expired ? (
                      <span className="muted small">expired</span>
                    ) : (
                      <button className="btn btn-small btn-danger" disabled={!canRevoke} onClick={() => onRevoke(t)}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}

function NewToken({
  org,
  access,
  personal,
  owner,
  onCreated,
}: {
  org: string;
  access: Access | null;
  personal: boolean;
  owner: boolean;
  onCreated: (label: string, token: string) => void;
}) {
  // A personal token acts with at most its holder's scopes; an organization token needs an owner.
  const kinds = [...(personal ? [{ value: "personal", label: "Personal token" }] : []), ...(owner ? [{ value: "organization", label: `Organization token (${org})` }] : [])];
  const [kind, setKind] = useState(kinds[0]?.value ?? "personal");
  const [label, setLabel] = useState("");
  const [scopes, setScopes] = useState<string[]>(() => ALL_SCOPES.filter((s) => access?.scopes.has(s)));
  const [days, setDays] = useState("");
  const [errors, setErrors] = useState<Problem[]>([]);
  const [{ fetching }, create] = useMutation(CreateApiTokenDocument);
  if (!kinds.length) return null;
  return (
    <form
      className="pad form subform"
      onSubmit={async (e) => {
        e.preventDefault();
        const expiresIn = days.trim() ? Number(days) : null;
        const result = await create({
          input: {
            label: label.trim(),
            organizationSlug: kind === "organization" ? org : null,
            scopes,
            expiresAt: expiresIn !== null ? new Date(Date.now() + expiresIn * 86_400_000).toISOString() : null,
          },
        });
        const found = problems(result, result.data?.createApiToken);
        setErrors(found);
        const token = result.data?.createApiToken.token;
        if (!found.length && token) {
          onCreated(label.trim() || "unnamed", token);
          setLabel("");
        }
      }}
    >
      <h3>Create a token</h3>
      <div className="inline-form">
        <label>
          <span className="field-label">Kind</span>
          <select className="btn" aria-label="Token kind" value={kind} onChange={(e) => setKind(e.target.value)}>
            {kinds.map((k) => (
              <option key={k.value} value={k.value}>
                {k.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span className="field-label">Label</span>
          <input type="text" value={label} placeholder="ci-deploys" onChange={(e) => setLabel(e.target.value)} />
        </label>
        <label>
          <span className="field-label">Expires in (days)</span>
          <input type="number" min={1} className="num-input" placeholder="never" value={days} onChange={(e) => setDays(e.target.value)} />
        </label>
      </div>
      <fieldset className="checks">
        <legend className="field-label">Scopes</legend>
        {ALL_SCOPES.map((scope) => (
          <label key={scope} className="check-inline">
            <input
              type="checkbox"
              checked={scopes.includes(scope)}
              onChange={(e) => setScopes(e.target.checked ? [...scopes, scope] : scopes.filter((s) => s !== scope))}
            />
            <span className="mono">{scope}</span>
          </label>
        ))}
      </fieldset>
      <ErrorBox userErrors={errors} onDismiss={() => setErrors([])} />
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={fetching}>
          Create token
        </button>
      </div>
    </form>
  );
}
