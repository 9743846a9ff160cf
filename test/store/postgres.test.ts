// The PostgreSQL adapter: the shared Store contract on a throwaway cluster, one fresh database per test.
// Each database is a copy of a template migrated once, so a test costs a file copy, not fourteen migrations.
import { after, before, describe } from "node:test";
import pg from "pg";
import { openPostgresStore } from "../../src/store/postgres/index.ts";
import { storeContract } from "./contract.ts";
import { type PgCluster, pgSkip, startPgCluster } from "./pg-cluster.ts";

describe("postgres store", { skip: pgSkip }, () => {
  let cluster: PgCluster;
  let admin: pg.Pool;
  let created = 0;

  before(async () => {
    cluster = await startPgCluster();
    admin = new pg.Pool({ connectionString: cluster.url("postgres"), max: 2 });
    await admin.query("CREATE DATABASE pave_template");
    const template = await openPostgresStore(cluster.url("pave_template"));
    await template.close();
  });

  after(async () => {
    await admin?.end();
    await cluster?.stop();
  });

  storeContract("postgres", async () => {
    const name = `t_${++created}`;
    await admin.query(`CREATE DATABASE ${name} TEMPLATE pave_template`);
    const store = await openPostgresStore(cluster.url(name));
    const close = store.close.bind(store);
    // Dropping each database as its test ends keeps the cluster small however many tests the contract grows.
    store.close = async () => {
      await close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    };
    return store;
  });
});
