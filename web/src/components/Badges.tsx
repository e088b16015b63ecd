// Small labels: an issue's level and status as colours and words.

export function LevelBadge({ level }: { level: string }) {
  return <span className={`level level-${level}`}>{level}</span>;
}

export function LevelBar({ level }: { level: string }) {
  return <span className={`level-bar level-${level}`} aria-hidden="true" />;
}

export function StatusBadge({ status, substatus }: { status: string; substatus?: string | null }) {
  const text = status === "UNRESOLVED" && substatus && substatus !== "ongoing" ? substatus : status.toLowerCase();
  return <span className={`status status-${status.toLowerCase()} sub-${substatus ?? ""}`}>{text}</span>;
}
