/** Runs a command body with the services of the database named by --db (published policies loaded). */
import { createServices, type Services } from "../server/services.ts";
import { openDatabase } from "./command.ts";

export async function withServices<T>(
  values: Record<string, unknown>,
  body: (services: Services) => Promise<T>,
): Promise<T> {
  const database = await openDatabase(values);
  try {
    const services = createServices({ database });
    await services.policyVersions.refresh();
    return await body(services);
  } finally {
    await database.close();
  }
}
