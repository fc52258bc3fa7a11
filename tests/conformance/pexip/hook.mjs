// Node cannot import Pexip's packages as published: their dist uses extension-less
// relative ESM imports, and @pexip/infinity and @pexip/peer-connection name their
// entry point only in the bundler-only "module" field. A bundler resolves both in
// Pexip's own apps; this hook does what a bundler would, and nothing else: it adds
// ".js" or "/index.js" to relative imports and follows "module" for bare package
// names. Pexip's code itself is loaded unmodified.
//
// One more thing a browser gives for free: each tab has its own copy of every
// module. @pexip/infinity keeps module-level state (its event signals are one
// object per module instance), so two clients in one Node process would hear
// each other's events. `import('@pexip/infinity?realm=NAME')` loads a separate
// copy of Pexip's module graph for each participant, as separate tabs would.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

async function moduleEntry(specifier, parentURL) {
  if (specifier.startsWith('node:') || packageName(specifier) !== specifier) return null;
  const require = createRequire(parentURL ?? import.meta.url);
  let manifest;
  try {
    manifest = require.resolve(`${specifier}/package.json`);
  } catch {
    return null;
  }
  const pkg = JSON.parse(await readFile(manifest, 'utf8'));
  return typeof pkg.module === 'string' ? pathToFileURL(join(dirname(manifest), pkg.module)).href : null;
}

const REALM = /[?&]realm=([\w-]+)/;

export async function resolve(specifier, context, next) {
  const own = specifier.match(REALM);
  const realm = own ? own[1] : context.parentURL?.match(REALM)?.[1];
  const bare = own ? specifier.replace(REALM, '') : specifier;
  const resolved = await resolveUnrealmed(bare, context, next);
  if (!realm || !resolved.url.startsWith('file:') || resolved.format === 'commonjs' || resolved.url.includes('?')) {
    return resolved;
  }
  return { ...resolved, url: `${resolved.url}?realm=${realm}` };
}

async function resolveUnrealmed(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    if (specifier.startsWith('.')) {
      for (const suffix of ['.js', '/index.js']) {
        try {
          return await next(specifier + suffix, context);
        } catch {
          /* try the next form */
        }
      }
      throw error;
    }
    const entry = await moduleEntry(specifier, context.parentURL);
    if (entry === null) throw error;
    return next(entry, context);
  }
}
