// Entry of the thread that reads national-format files (national.pipeline.ts). The app runs its
// TypeScript through tsx, which a worker thread does not inherit: registered here first.
import { register } from "tsx/esm/api";

register();
await import("./national.worker.ts");
