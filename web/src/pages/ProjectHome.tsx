// A project's own address: its issues until the project overview page takes this route.
import { Redirect, useParams } from "wouter";
import { paths } from "../paths";

export function ProjectHomePage() {
  const { org, project } = useParams<{ org: string; project: string }>();
  return <Redirect to={paths.issues(org, project)} replace />;
}
