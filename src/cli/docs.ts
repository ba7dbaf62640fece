/**
 * `forgeline docs`: regenerates the parts of the documentation that are derived
 * from code: the error-code tables of docs/error_codes.md, from the registry in
 * src/server/error-codes.ts. test/unit/error-codes.test.ts fails when they differ.
 */
import fs from "node:fs";
import path from "node:path";
import { projectRoot } from "../paths.ts";
import { withGeneratedDocs } from "../server/error-codes.ts";

export const ERROR_CODES_DOC = path.join(projectRoot, "docs", "error_codes.md");

export function docsCommand(): void {
  const before = fs.readFileSync(ERROR_CODES_DOC, "utf8");
  const after = withGeneratedDocs(before);
  if (after === before) {
    process.stdout.write("docs/error_codes.md is up to date\n");
    return;
  }
  fs.writeFileSync(ERROR_CODES_DOC, after);
  process.stdout.write("wrote docs/error_codes.md\n");
}
