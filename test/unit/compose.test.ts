/**
 * docker-compose.yml, checked by structure since no Docker engine runs here: the
 * services production needs, built or pulled images, health checks, start order,
 * secrets from the environment, and the connection paths that matter (API through
 * PgBouncer in transaction mode; worker and migrations straight to PostgreSQL).
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig } from "../../src/config.ts";
import { projectRoot } from "../../src/paths.ts";

interface Service {
  build?: { context: string; dockerfile?: string } | string;
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
  restart?: string;
}

const read = (file: string) => fs.readFileSync(path.join(projectRoot, file), "utf8");
const compose = parse(read("docker-compose.yml"), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;
/** A value as compose would pass it, with ${VAR:?…} and ${VAR:-…} filled in. */
const fill = (value: string) =>
  value.replace(/\$\{([A-Z_]+)(?::[?-]([^}]*))?\}/g, (_m, name: string, fallback?: string) =>
    name.endsWith("PASSWORD") ? "pw" : name === "JWT_SECRET" ? "s".repeat(40) : (fallback ?? "x"),
  );
const env = (name: string): Record<string, string> =>
  Object.fromEntries(
    Object.entries(services[name]?.environment ?? {}).map(([k, v]) => [k, fill(String(v))]),
  );

describe("docker-compose.yml", () => {
  it("has the production services", () => {
    expect(Object.keys(services).sort()).toEqual([
      "api",
      "migrate",
      "pgbouncer",
      "postgres",
      "worker",
    ]);
  });

  it("builds or pulls an image for every service, from files that exist", () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.build ?? service.image, name).toBeTruthy();
      if (service.build && typeof service.build === "object") {
        const dockerfile = path.join(
          service.build.context,
          service.build.dockerfile ?? "Dockerfile",
        );
        expect(fs.existsSync(path.join(projectRoot, dockerfile)), dockerfile).toBe(true);
      }
    }
  });

  it("runs PostgreSQL 17 with pg_cron preloaded and pgTAP installed", () => {
    const dockerfile = read("docker/postgres/Dockerfile");
    expect(dockerfile).toMatch(/^FROM postgres:17/m);
    expect(dockerfile).toMatch(/postgresql-17-cron/);
    expect(dockerfile).toMatch(/postgresql-17-pgtap/);
    expect(dockerfile).toMatch(/shared_preload_libraries=pg_cron/);
  });

  it("health-checks every long-running service and starts them in order", () => {
    for (const name of ["postgres", "pgbouncer", "api"]) {
      expect(services[name]?.healthcheck?.test.length, name).toBeGreaterThan(0);
    }
    expect(services.pgbouncer?.depends_on).toEqual({ postgres: { condition: "service_healthy" } });
    expect(services.migrate?.depends_on?.postgres).toEqual({ condition: "service_healthy" });
    expect(services.migrate?.restart).toBe("no");
    for (const name of ["api", "worker"]) {
      expect(services[name]?.depends_on?.migrate, name).toEqual({
        condition: "service_completed_successfully",
      });
    }
  });

  it("runs three API replicas through PgBouncer in transaction mode, workers and migrations directly", () => {
    expect(services.api?.deploy?.replicas).toBe(3);
    expect(services.api?.command).toEqual(["node", "src/cli/index.ts", "serve"]);
    expect(services.worker?.command).toEqual(["node", "src/cli/index.ts", "worker"]);
    expect(services.migrate?.command).toEqual(["node", "src/cli/index.ts", "migrate"]);
    expect(env("pgbouncer").POOL_MODE).toBe("transaction");
    expect(new URL(env("api").AUTH_DATABASE_URL!).hostname).toBe("pgbouncer");
    // Subscriptions LISTEN on a real session, never through transaction pooling.
    expect(new URL(env("api").AUTH_LISTEN_DATABASE_URL!).hostname).toBe("postgres");
    expect(new URL(env("worker").DATABASE_URL!).hostname).toBe("postgres");
    expect(new URL(env("migrate").DATABASE_URL!).hostname).toBe("postgres");
    expect(env("migrate").ROOT_DATABASE_URL).toBeDefined();
    expect(env("api").ROOT_DATABASE_URL).toBeUndefined();
  });

  it("takes every secret from the environment and refuses to start without it", () => {
    const text = read("docker-compose.yml");
    for (const secret of [
      "POSTGRES_PASSWORD",
      "FORGELINE_OWNER_PASSWORD",
      "FORGELINE_AUTHENTICATOR_PASSWORD",
      "JWT_SECRET",
    ]) {
      expect(text, secret).toMatch(new RegExp(`\\$\\{${secret}:\\?`));
    }
    expect(text).not.toMatch(/password@|:secret@/i);
  });

  it("gives each app service a configuration that Forgeline accepts", () => {
    for (const name of ["migrate", "api", "worker"]) {
      const environment = Object.fromEntries(
        Object.entries(env(name)).map(([k, v]) => [k, fill(String(v))]),
      );
      expect(() => loadConfig(environment), name).not.toThrow();
    }
  });

  it("gives the workers one shared artifact storage volume, writable by the image's user", () => {
    const dir = env("worker").ARTIFACT_STORAGE_DIR;
    expect(dir).toBe("/var/lib/forgeline/artifacts");
    expect((services.worker as { volumes?: string[] }).volumes).toContain(`artifacts:${dir}`);
    expect(Object.keys((compose as { volumes?: Record<string, unknown> }).volumes ?? {})).toContain(
      "artifacts",
    );
    expect(read("docker/app/Dockerfile")).toMatch(
      new RegExp(`chown node:node ${dir!.replace(/\//g, "\\/")}`),
    );
  });

  it("sizes the connections as README's Scaling section says", () => {
    const api = env("api");
    const worker = env("worker");
    const replicas = (name: string) => services[name]?.deploy?.replicas ?? 1;
    const apiProcesses = replicas("api") * Number(api.API_PROCESSES ?? 1);
    const poolSize = Number(api.API_POOL_SIZE ?? 20);
    const pgbouncerPool = Number(env("pgbouncer").DEFAULT_POOL_SIZE);
    // Every API connection fits PgBouncer's pool (else requests wait inside PgBouncer,
    // unbounded, instead of in the API's admission queue).
    expect(apiProcesses * poolSize).toBeLessThanOrEqual(pgbouncerPool);
    const maxConnections = Number(
      /max_connections=(\d+)/.exec((services.postgres?.command ?? []).join(" "))?.[1] ?? 100,
    );
    const direct =
      replicas("worker") * (Number(worker.WORKER_CONCURRENCY) + 2) + // worker pools
      apiProcesses + // subscriptions' LISTEN
      5; // maintenance (pg_cron), migrate, an operator's psql
    expect(pgbouncerPool + direct).toBeLessThanOrEqual(maxConnections);
    expect(Number(env("pgbouncer").MAX_CLIENT_CONN)).toBeGreaterThanOrEqual(
      apiProcesses * poolSize,
    );
  });

  it("runs the application image as a non-root user", () => {
    const dockerfile = read("docker/app/Dockerfile");
    expect(dockerfile).toMatch(/^FROM node:2[2-9]/m);
    const users = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
    expect(users.at(-1)).toBeDefined();
    expect(users.at(-1)).not.toMatch(/^(root|0)$/);
  });
});
