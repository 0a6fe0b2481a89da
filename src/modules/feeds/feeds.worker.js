// Entry of the worker thread that reads a feed file (feeds.reader.ts, openFeedFileInWorker):
// a worker starts without the main thread's TypeScript loader, so it registers tsx itself
// before loading the TypeScript that does the work.
import { register } from "tsx/esm/api";

register();
await import("./feeds.worker.ts");
