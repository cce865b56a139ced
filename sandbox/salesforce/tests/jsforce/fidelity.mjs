// jsforce fidelity test: starts ferry-sandbox on a free port and drives it with jsforce 3, a
// Salesforce client nobody here wrote. Whatever jsforce expects that the sandbox does not do is
// a sandbox bug. Usage: node fidelity.mjs <path to ferry-sandbox>
// Exit codes: 0 pass, 1 fail, 77 skipped (jsforce not installed: run `npm ci` in this folder).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
if (!existsSync(join(here, 'node_modules', 'jsforce'))) {
  console.log(`SKIPPED: jsforce is not installed; run "npm ci" in ${here} to enable this test`);
  process.exit(77);
}
const { default: jsforce } = await import('jsforce');

const binary = process.argv[2];
if (!binary || !existsSync(binary)) {
  console.error(`usage: node fidelity.mjs <ferry-sandbox binary>; got ${binary}`);
  process.exit(1);
}

// Start the sandbox on a free port and read its URL from the banner.
const sandbox = spawn(binary, ['--port', '0', '--seed', '7'], { stdio: ['ignore', 'pipe', 'inherit'] });
const base = await new Promise((resolve, reject) => {
  let banner = '';
  const timer = setTimeout(() => reject(new Error(`no banner from ferry-sandbox: ${banner}`)), 15000);
  sandbox.stdout.on('data', (chunk) => {
    banner += chunk;
    const match = banner.match(/listening on (http:\/\/[0-9.:]+)/);
    if (match) {
      clearTimeout(timer);
      resolve(match[1]);
    }
  });
  sandbox.on('exit', (code) => reject(new Error(`ferry-sandbox exited early with ${code}`)));
});

const admin = async (method, path, body) => {
  const response = await fetch(`${base}/__sandbox${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(response.ok, `admin ${method} ${path} -> ${response.status} ${text}`);
  return text ? JSON.parse(text) : {};
};
const endpointCalls = async (fragment) => {
  const counters = await admin('GET', '/counters');
  return Object.entries(counters.endpoints)
    .filter(([key]) => key.includes(fragment))
    .reduce((sum, [, value]) => sum + value.calls, 0);
};

const steps = [];
const step = async (name, body) => {
  const started = Date.now();
  await body();
  steps.push(name);
  console.log(`ok  ${name} (${Date.now() - started} ms)`);
};

let failed = false;
try {
  const oauth2 = new jsforce.OAuth2({
    loginUrl: base,
    clientId: 'ferry-demo-consumer-key',
    clientSecret: 'ferry-demo-consumer-secret',
    redirectUri: 'http://localhost:1717/callback',
  });
  const conn = new jsforce.Connection({ oauth2, version: '60.0' });

  await step('OAuth web-server flow: authorize redirect, code exchange', async () => {
    const authorizeUrl = oauth2.getAuthorizationUrl({ scope: 'api refresh_token', state: 'st-1' });
    const redirect = await fetch(authorizeUrl, { redirect: 'manual' });
    assert.equal(redirect.status, 302);
    const location = new URL(redirect.headers.get('location'));
    assert.equal(location.searchParams.get('state'), 'st-1');
    const userInfo = await conn.authorize(location.searchParams.get('code'));
    assert.equal(conn.instanceUrl, base);
    assert.ok(conn.refreshToken, 'a refresh token was issued');
    assert.match(userInfo.organizationId, /^00D/);
    assert.match(userInfo.id, /^005/);
  });

  await step('OAuth refresh after a 401', async () => {
    let refreshed = 0;
    conn.on('refresh', () => refreshed++);
    const before = conn.accessToken;
    await admin('POST', '/expire-tokens');
    const result = await conn.query('SELECT Id FROM Contact LIMIT 1');
    assert.equal(result.done, true);
    assert.equal(refreshed, 1);
    assert.notEqual(conn.accessToken, before);
  });

  await step('query with autoFetch across several pages', async () => {
    await admin('POST', '/salesforce/seed', { Contact: 1100, Account: 5 });
    const before = await endpointCalls('/query/{locator}');
    const result = await conn.query('SELECT Id, LastName, Email, Account.Name FROM Contact ORDER BY LastName, Id', {
      autoFetch: true,
      maxFetch: 5000,
      headers: { 'Sforce-Query-Options': 'batchSize=200' },
    });
    assert.equal(result.totalSize, 1100);
    assert.equal(result.records.length, 1100);
    assert.equal(new Set(result.records.map((r) => r.Id)).size, 1100);
    assert.equal(result.records[0].attributes.type, 'Contact');
    assert.ok(result.records.some((r) => r.Account && r.Account.Name), 'parent relationship fields are nested');
    assert.equal((await endpointCalls('/query/{locator}')) - before, 5, 'five more pages fetched by nextRecordsUrl');
  });

  await step('queryAll sees deleted records', async () => {
    const victim = (await conn.query('SELECT Id FROM Contact LIMIT 1')).records[0].Id;
    const deleted = await conn.sobject('Contact').destroy(victim);
    assert.equal(deleted.success, true);
    const live = await conn.query(`SELECT Id FROM Contact WHERE Id = '${victim}'`);
    assert.equal(live.totalSize, 0);
    const all = await conn.query(`SELECT Id, IsDeleted FROM Contact WHERE Id = '${victim}'`, { scanAll: true });
    assert.equal(all.totalSize, 1);
    assert.equal(all.records[0].IsDeleted, true);
  });

  await step('collection create / update / upsert', async () => {
    const created = await conn.sobject('Contact').create([
      { LastName: 'Js One', Email: 'one@js.example' },
      { FirstName: 'No last name' },
      { LastName: 'Js Three', Email: 'three@js.example' },
    ]);
    assert.equal(created.length, 3);
    assert.equal(created[0].success, true);
    assert.equal(created[1].success, false);
    assert.equal(created[1].errors[0].statusCode, 'REQUIRED_FIELD_MISSING');
    assert.equal(created[2].success, true);
    const updated = await conn.sobject('Contact').update([
      { Id: created[0].id, Title: 'CEO' },
      { Id: created[2].id, Email: 'not-an-email' },
    ]);
    assert.equal(updated[0].success, true);
    assert.equal(updated[1].success, false);
    assert.equal(updated[1].errors[0].statusCode, 'INVALID_EMAIL_ADDRESS');
    const record = await conn.sobject('Contact').retrieve(created[0].id);
    assert.equal(record.Title, 'CEO');
    const upserts = [
      { Ferry_External_Id__c: 'js-1', LastName: 'Upserted' },
      { Ferry_External_Id__c: 'js-2', LastName: 'Upserted Too' },
    ];
    const first = await conn.sobject('Contact').upsert(upserts, 'Ferry_External_Id__c');
    assert.deepEqual(first.map((r) => [r.success, r.created]), [[true, true], [true, true]]);
    const second = await conn.sobject('Contact').upsert(upserts, 'Ferry_External_Id__c');
    assert.deepEqual(second.map((r) => [r.success, r.created]), [[true, false], [true, false]]);
    const single = await conn.sobject('Contact').upsert({ Ferry_External_Id__c: 'js-1', Title: 'CTO' }, 'Ferry_External_Id__c');
    assert.equal(single.success, true);
  });

  await step('Bulk API 2.0 ingest (chunked CSV upload, poll, results)', async () => {
    conn.bulk2.pollInterval = 100;
    const input = [];
    for (let i = 0; i < 300; i++) input.push({ LastName: `Bulk ${i}`, Email: i === 7 ? 'broken@' : `bulk${i}@js.example` });
    const results = await conn.bulk2.loadAndWaitForResults({ object: 'Contact', operation: 'insert', input });
    assert.equal(results.successfulResults.length, 299);
    assert.equal(results.failedResults.length, 1);
    assert.match(results.failedResults[0].sf__Error, /^INVALID_EMAIL_ADDRESS/);
    assert.match(results.successfulResults[0].sf__Id, /^003/);
    const upsert = await conn.bulk2.loadAndWaitForResults({
      object: 'Contact',
      operation: 'upsert',
      externalIdFieldName: 'Ferry_External_Id__c',
      input: 'Ferry_External_Id__c,LastName\njs-1,From Bulk\njs-9,New From Bulk\n',
    });
    assert.equal(upsert.successfulResults.length, 2);
    const createdFlags = upsert.successfulResults.map((r) => String(r.sf__Created)).sort();
    assert.deepEqual(createdFlags, ['false', 'true']);
  });

  await step('Bulk API 2.0 query (Sforce-Locator paging)', async () => {
    const stream = await conn.bulk2.query("SELECT Id, LastName FROM Contact WHERE LastName LIKE 'Bulk%'");
    const rows = [];
    await new Promise((resolve, reject) => {
      stream.on('record', (row) => rows.push(row));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    assert.equal(rows.length, 299);
  });
} catch (error) {
  failed = true;
  console.error(`FAILED after ${steps.length} steps:`, error);
} finally {
  sandbox.kill('SIGTERM');
}
process.exit(failed ? 1 : 0);
