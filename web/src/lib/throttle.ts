// A trigger that runs `action` at most once per `ms`: the first call schedules it `ms` later,
// calls meanwhile join that run. Live updates use it so a burst of changes costs one refetch.
import { useCallback, useEffect, useRef } from "react";

export function useThrottled(action: () => void, ms: number): () => void {
  const timer = useRef<number | null>(null);
  const latest = useRef(action);
  latest.current = action;
  useEffect(
    () => () => {
      if (timer.current !== null) window.clearTimeout(timer.current);
      timer.current = null;
    },
    [],
  );
  return useCallback(() => {
    if (timer.current !== null) return;
    timer.current = window.setTimeout(() => {
      timer.current = null;
      latest.current();
    }, ms);
  }, [ms]);
}
