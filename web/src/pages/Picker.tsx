// Page 1: the organizations the token may see and their projects.
import { Link } from "wouter";
import { useViewer } from "../viewer";
import { paths } from "../paths";
import { useTitle } from "../lib/title";

export function PickerPage() {
  const viewer = useViewer();
  useTitle("Projects");
  if (!viewer) return <div className="page muted">Loading…</div>;
  return (
    <div className="page narrow">
      <h1>Projects</h1>
      {viewer.organizations.length === 0 && (
        <p className="muted">This token sees no organization. Create one with <code>stackline bootstrap</code>.</p>
      )}
      {viewer.organizations.map((org) => (
        <section key={org.id} className="card">
          <div className="card-header">
            <h2>{org.name || org.slug}</h2>
            <span className="muted small">{org.slug}</span>
          </div>
          {org.projects.length === 0 ? (
            <p className="muted pad">No projects yet.</p>
          ) : (
            <ul className="project-list">
              {org.projects.map((project) => (
                <li key={project.id}>
                  <Link href={paths.issues(org.slug, project.slug)} className="project-link">
                    <span className="project-name">{project.name || project.slug}</span>
                    <span className="muted small">
                      {project.slug}
                      {project.platform ? ` · ${project.platform}` : ""}
                    </span>
                  </Link>
                </li>
              ))}
            </ul>
          )}
        </section>
      ))}
    </div>
  );
}
