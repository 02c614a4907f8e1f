// Asks TypeScript's own resolver where each import of a fixture tree goes, for checking
// discover's resolution expectations once by hand (the tests keep the answers; CI does not
// run this). Usage, from a scratch copy of the tree, with `typescript` installed:
//
//   node tsc-resolve.mjs <tree> <file>...
//
// Workspace packages are linked into node_modules as a package manager would (each
// workspace root's members under its own node_modules), and each package with a
// tsconfig.json is built first (`tsc -p`), so that `exports` pointing at a build directory
// resolve as they do in a built checkout. Prints `file  specifier  ->  resolved` lines.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";

const require = createRequire(path.join(process.cwd(), "package.json"));
const ts = require("typescript");
const [tree, ...files] = process.argv.slice(2);
const root = path.resolve(tree);

function manifests(dir, out = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) manifests(full, out);
    else if (entry.name === "package.json") out.push(full);
  }
  return out;
}

function globToRegExp(glob) {
  const body = glob
    .replace(/^\.\//, "")
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*\*/g, "\u0000")
    .replace(/\*/g, "[^/]*")
    .replace(/\u0000/g, ".*");
  return new RegExp(`^${body}$`);
}

const all = manifests(root).map((file) => ({
  dir: path.dirname(file),
  json: JSON.parse(fs.readFileSync(file, "utf8")),
}));
const builds = [];
for (const ws of all) {
  let globs = Array.isArray(ws.json.workspaces) ? ws.json.workspaces : ws.json.workspaces?.packages ?? [];
  const pnpm = path.join(ws.dir, "pnpm-workspace.yaml");
  if (fs.existsSync(pnpm)) {
    globs = globs.concat(
      [...fs.readFileSync(pnpm, "utf8").matchAll(/^\s*-\s*["']?([^"'\n]+)["']?/gm)].map((m) => m[1]),
    );
  }
  if (globs.length === 0) continue;
  for (const member of all) {
    const rel = path.relative(ws.dir, member.dir);
    if (!rel || rel.startsWith("..") || !member.json.name) continue;
    const excluded = globs.some((g) => g.startsWith("!") && globToRegExp(g.slice(1)).test(rel));
    if (excluded || !globs.some((g) => !g.startsWith("!") && globToRegExp(g).test(rel))) continue;
    const link = path.join(ws.dir, "node_modules", member.json.name);
    fs.mkdirSync(path.dirname(link), { recursive: true });
    if (!fs.existsSync(link)) fs.symlinkSync(path.relative(path.dirname(link), member.dir), link, "dir");
    if (fs.existsSync(path.join(member.dir, "tsconfig.json"))) builds.push(member.dir);
  }
}
// Built once every member is linked: a package's tsconfig may extend another's.
for (const dir of builds) {
  try {
    execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", dir], { stdio: "ignore" });
  } catch {
    // Type errors still emit.
  }
}

for (const file of files) {
  const full = path.join(root, file);
  const configPath = ts.findConfigFile(path.dirname(full), ts.sys.fileExists);
  const options = configPath
    ? ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, path.dirname(configPath)).options
    : { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, allowJs: true };
  options.allowJs = true;
  const source = ts.createSourceFile(full, fs.readFileSync(full, "utf8"), ts.ScriptTarget.Latest, true);
  // An import statement's mode is the file's own format under node16 / nodenext (as the
  // program computes it), under bundler ESM but in a `.cts` / `.cjs` file, none under
  // node10 / classic (where a mode would turn `exports` on); `require()` and `import x =
  // require()` are CommonJS and `import()` ESM where modes apply.
  const nodeLike = [ts.ModuleResolutionKind.Node16, ts.ModuleResolutionKind.NodeNext].includes(
    ts.getEmitModuleResolutionKind(options),
  );
  const bundler = ts.getEmitModuleResolutionKind(options) === ts.ModuleResolutionKind.Bundler;
  const cjsFile = /\.c[jt]s$/.test(full);
  const fileMode = nodeLike
    ? ts.getImpliedNodeFormatForFile(full, undefined, ts.sys, options)
    : bundler
      ? cjsFile
        ? ts.ModuleKind.CommonJS
        : ts.ModuleKind.ESNext
      : undefined;
  const moded = nodeLike || bundler;
  const specifiers = [];
  (function visit(node) {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      specifiers.push([node.moduleSpecifier.text, fileMode]);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      specifiers.push([node.moduleReference.expression.text, moded ? ts.ModuleKind.CommonJS : undefined]);
    } else if (ts.isCallExpression(node) && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        specifiers.push([node.arguments[0].text, moded ? ts.ModuleKind.ESNext : undefined]);
      } else if (node.expression.getText(source) === "require") {
        specifiers.push([node.arguments[0].text, moded ? ts.ModuleKind.CommonJS : undefined]);
      }
    }
    ts.forEachChild(node, visit);
  })(source);
  for (const [specifier, mode] of specifiers) {
    const { resolvedModule } = ts.resolveModuleName(specifier, full, options, ts.sys, undefined, undefined, mode);
    const where = resolvedModule && !resolvedModule.isExternalLibraryImport
      ? path.relative(root, fs.realpathSync(resolvedModule.resolvedFileName))
      : resolvedModule ? `(package) ${path.relative(root, fs.realpathSync(resolvedModule.resolvedFileName))}` : "(none)";
    console.log(`${file}  ${specifier}  ->  ${where}`);
  }
}
