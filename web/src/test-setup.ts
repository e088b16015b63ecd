// Vitest set-up: DOM matchers-free; testing-library cleans the DOM between tests.
import { afterEach } from "vitest";
import { cleanup } from "@testing-library/react";

afterEach(() => cleanup());
