// The browser tab's title for the page shown (history entries and tabs read as the page).
import { useEffect } from "react";

export function useTitle(title: string | null | undefined): void {
  useEffect(() => {
    document.title = title ? `${title} — stackline` : "stackline";
  }, [title]);
}
