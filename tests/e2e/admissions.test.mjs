// Journey (the admissions issue's "done when"): 和平区教育局 applies to have a task admitted
// (准入). A start too early for the notice period is refused when it is submitted, with the first
// allowed day; with that day it goes to 和平区民政局, who returns it for the funding; the
// department is told, edits and resubmits; civil affairs passes it; the city's civil affairs
// cannot even open a district's application; the district approver admits it. The public then
// finds the admitted task by its code, for a 和平区 community and not for a 蓟州区 village, and
// downloads its approval form (审批表) as PDF. Civil affairs' list also reads on a phone.
// Then: the same procedure through the API (idempotent create, 409 wrong_stage, 403 outside_scope
// in the audit log, 422 refused, revoke); the level's working-day deadlines; countersigning,
// handing the review to a colleague, a return to the review and a rejection; and the public
// list's unit filter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createHmac } from 'node:crypto';
import { startServer, startBrowser, shots } from './harness.mjs';

const PASSWORD = 'Minzheng-2026';
const TITLE = '辖区学生课后服务需求摸底';
/** The first day a task applied for today may start, as the form says. */
let firstStart;
let server;
let browser;

before(async () => {
  server = await startServer({
    users: [
      { username: 'hp.jy', role: 'department_officer', region: '120101', department: '120101000000-004', password: PASSWORD },
      { username: 'hp.wj', role: 'department_officer', region: '120101', department: '120101000000-007', password: PASSWORD },
      { username: 'hp.mz1', role: 'civil_affairs', region: '120101', password: PASSWORD },
      { username: 'hp.mz2', role: 'civil_affairs', region: '120101', password: PASSWORD },
      { username: 'hp.sp', role: 'approver', region: '120101', password: PASSWORD },
      { username: 'mz.wang', role: 'civil_affairs', region: '12', password: PASSWORD },
    ],
  });
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

const changed = new Set();

/** Logs in; accounts opened with `jianfu user add` replace their one-time password first. */
async function session(username) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, locale: 'zh-CN' });
  const page = await context.newPage();
  const current = changed.has(username) ? `${PASSWORD}-new` : PASSWORD;
  await page.goto(server.base + '/login');
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', current);
  await page.click('button:has-text("登录")');
  if (!changed.has(username)) {
    await page.waitForURL(/\/account\/password$/);
    await page.fill('input[name=current]', PASSWORD);
    await page.fill('input[name=new_password]', `${PASSWORD}-new`);
    await page.fill('input[name=confirm]', `${PASSWORD}-new`);
    await page.click('button:has-text("保存")');
    await page.waitForSelector('text=密码已修改');
    changed.add(username);
  }
  await page.goto(server.base + '/me');
  return { page, context };
}

/** RFC 6238 code for a base32 secret, as an authenticator app computes it. */
function totp(base32, now = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of base32.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(now / 1000 / 30)));
  const h = createHmac('sha1', key).update(counter).digest();
  const o = h[h.length - 1] & 0xf;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/** A JSON call in the browser's session; writes carry the page's CSRF token. */
async function caller(username) {
  const { page, context } = await session(username);
  const csrf = await page.locator('input[name=csrf]').first().inputValue();
  const call = async (method, path, body, headers = {}) => {
    const r = await page.request.fetch(server.base + path, {
      method, headers: { 'x-csrf-token': csrf, ...headers }, data: body,
    });
    return { status: r.status(), json: await r.json() };
  };
  return { call, context };
}

/** Beijing's calendar day, `days` after today, as YYYY-MM-DD. */
function beijingDay(days = 0) {
  return new Date(Date.now() + 8 * 3600e3 + days * 86400e3).toISOString().slice(0, 10);
}

function addDays(day, days) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Clicks a step's button and waits for the page the step leads to; returns its status. */
async function step(page, form) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/admissions/')),
    page.click(`${form} button[type=submit]`),
  ]);
  await page.waitForLoadState('load');
  return response.status();
}

const dir = mkdtempSync(join(tmpdir(), 'jianfu-adm-'));
const attachment = join(dir, '课后服务需求摸底方案.txt');
writeFileSync(attachment, '和平区学生课后服务需求摸底方案（演示）\n一、摸底对象：辖区各社区有在校学生的家庭。\n');

test('apply, return, resubmit, pass and admit a task; the public finds it by its code', async () => {
  // 1. The department writes the application.
  const applicant = await session('hp.jy');
  let page = applicant.page;
  await page.click('.mainnav a:text-is("准入管理")');
  await page.waitForSelector('h1:has-text("准入管理（和平区）")');
  await page.click('#new-admission');
  await page.waitForURL(/\/admissions\/new$/);
  const first = await page.getAttribute('#application input[name=starts_on]', 'min');
  assert.match(first, /^\d{4}-\d{2}-\d{2}$/, 'the first allowed start is the input\'s min');
  assert.ok(first > beijingDay(30), `30 working days are more than 30 days (${first})`);
  assert.ok((await page.textContent('main')).includes(`最早可从 ${first} 开始`), 'the page says the first allowed day');
  firstStart = first;
  const ends = addDays(first, 60);
  await page.fill('#application input[name=title]', TITLE);
  await page.fill('#application textarea[name=content]', '各社区组织网格员入户了解有在校学生家庭的课后服务需求，填写需求表并汇总报区教育局。');
  await page.fill('#application input[name=basis]', '《天津市中小学课后服务工作方案》（演示）');
  await page.selectOption('#application select[name=scope_units]', ['120101000000']);
  await page.selectOption('#application select[name=applies]', 'community');
  await page.fill('#application input[name=starts_on]', first);
  await page.fill('#application input[name=ends_on]', ends);
  await page.fill('#application input[name=workload_hours]', '2');
  await page.fill('#application textarea[name=support]', '区教育局提供需求表和汇总模板');
  await page.screenshot({ path: join(shots, 'admission-form.png'), fullPage: true });

  // A start three days from now: the browser's min would stop it, so the min goes first.
  const early = beijingDay(3);
  await page.evaluate(() => document.querySelector('#application input[name=starts_on]').removeAttribute('min'));
  await page.fill('#application input[name=starts_on]', early);
  await page.click('#application button[type=submit]');
  await page.waitForURL(/\/admissions\/\d+$/);
  await page.waitForSelector('#stage:text-is("草稿")');
  const url = page.url();
  const id = url.match(/\/admissions\/(\d+)$/)[1];
  // The notice period counts from submission: submitting this draft is refused, nothing moves.
  assert.equal(await step(page, '#act-submit'), 422, 'too early a start is refused');
  const refusal = await page.textContent('#errors');
  assert.ok(refusal.includes(`最早可从 ${first} 开始`), refusal);
  assert.equal(await page.textContent('#stage'), '草稿');

  await page.click('#edit');
  await page.waitForURL(/\/admissions\/\d+\/edit$/);
  await page.fill('#application input[name=starts_on]', first);
  await page.click('#application button[type=submit]');
  await page.waitForSelector('p.ok:has-text("申请内容已保存")');
  assert.ok((await page.textContent('main')).includes(`${first} 至 ${ends}`), 'the period is saved');
  assert.match(await page.textContent('main'), /和平区全部社区/);

  await page.setInputFiles('#attach input[name=file]', attachment);
  await page.click('#attach button[type=submit]');
  await page.waitForSelector('p.ok:has-text("附件已上传")');
  assert.match(await page.textContent('#attachments'), /课后服务需求摸底方案\.txt[\s\S]*SM3/);
  assert.equal(await step(page, '#act-submit'), 303);
  await page.waitForSelector('#stage:text-is("待初审")');
  assert.equal(await page.locator('#edit').count(), 0, 'a submitted application is not edited');

  // 2. District civil affairs finds it waiting and returns it.
  const civil = await session('hp.mz1');
  const cpage = civil.page;
  await cpage.goto(server.base + '/notifications');
  assert.match(await cpage.textContent('#notifications'), new RegExp(`${TITLE}》待您初审`), 'civil affairs is told');
  await cpage.click('.mainnav a:text-is("准入管理")');
  await cpage.waitForSelector('#admissions');
  assert.ok((await cpage.textContent('#admissions')).includes(TITLE), 'waiting for civil affairs');
  await cpage.click(`#admissions a:text-is("${TITLE}")`);
  await cpage.waitForURL(url);
  await cpage.fill('#act-return input[name=comment]', '请写明经费来源');
  await step(cpage, '#act-return');
  await cpage.waitForSelector('#stage:text-is("已退回")');
  assert.match(await cpage.textContent('#stage-note'), /请写明经费来源/);
  await cpage.screenshot({ path: join(shots, 'admission-returned.png'), fullPage: true });

  // 3. The department is told, writes the funding in and resubmits.
  await page.goto(server.base + '/notifications');
  assert.match(await page.textContent('#notifications'), new RegExp(`${TITLE}》被退回：请写明经费来源`));
  await page.click('.mainnav a:text-is("准入管理")');
  assert.match(await page.textContent('#admissions'), new RegExp(`${TITLE}[\\s\\S]*已退回`), 'back in the department\'s list');
  await page.goto(url);
  await page.click('#edit');
  await page.waitForURL(/\/admissions\/\d+\/edit$/);
  await page.fill('#application textarea[name=support]', '区教育局提供需求表和汇总模板，按每个社区 500 元拨付工作经费（区教育局部门预算）');
  await page.click('#application button[type=submit]');
  await page.waitForSelector('p.ok:has-text("申请内容已保存")');
  assert.match(await page.textContent('main'), /每个社区 500 元/);
  await step(page, '#act-resubmit');
  await page.waitForSelector('#stage:text-is("待初审")');

  // 4. Civil affairs passes it.
  await cpage.goto(url);
  await step(cpage, '#act-pass');
  await cpage.waitForSelector('#stage:text-is("待审批")');

  // 5. The city's civil affairs is another level: refused, not shown.
  const city = await session('mz.wang');
  const denied = await city.page.goto(url);
  assert.equal(denied.status(), 403, 'the city does not open a district application');

  // 6. The district approver admits it.
  const approver = await session('hp.sp');
  const apage = approver.page;
  await apage.goto(server.base + '/notifications');
  assert.match(await apage.textContent('#notifications'), new RegExp(`${TITLE}》已通过初审，待您审批`), 'the approver is told');
  await apage.goto(server.base + '/admissions');
  assert.ok((await apage.textContent('#admissions')).includes(TITLE), 'waiting for the approver');
  await apage.goto(url);
  await step(apage, '#act-approve');
  await apage.waitForSelector('#stage:text-is("已准入")');
  const year = beijingDay().slice(0, 4);
  const task = await apage.textContent('#task');
  const code = task.match(/ZR-120101-\d{4}-\d{3}/)?.[0];
  assert.equal(code, `ZR-120101-${year}-001`, task);
  assert.equal(await apage.getAttribute('#task a[href$="form.pdf"]', 'href'), `/admitted-tasks/${code}/form.pdf`);
  assert.match(await apage.textContent('#events'), /提交[\s\S]*退回[\s\S]*请写明经费来源[\s\S]*重新提交[\s\S]*初审通过[\s\S]*批准准入/);
  await apage.screenshot({ path: join(shots, 'admission-approved.png'), fullPage: true });
  await page.goto(server.base + '/notifications');
  assert.match(await page.textContent('#notifications'), new RegExp(`${TITLE}》已批准，准入事项编号 ${code}`), 'the department is told');

  // 7. The public, without logging in. The task is in force from its start, not before.
  const visitor = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, locale: 'zh-CN' });
  const pub = await visitor.newPage();
  await pub.goto(server.base + '/admitted-tasks');
  assert.ok(!(await pub.textContent('#admitted-tasks')).includes(code), 'not in force today yet');
  await pub.fill('#filter input[name=at]', first);
  await pub.click('#filter button[type=submit]');
  await pub.waitForURL(new RegExp(`at=${first}`));
  assert.match(await pub.textContent('#admitted-tasks'), new RegExp(`${code}[\\s\\S]*${TITLE}[\\s\\S]*${first} 至 ${ends}`));
  await pub.screenshot({ path: join(shots, 'admission-public.png'), fullPage: true });
  // For one unit: a 和平区 community has it, a 蓟州区 village has not.
  await pub.goto(`${server.base}/admitted-tasks?region=120101001001&at=${first}`);
  assert.ok((await pub.textContent('#admitted-tasks')).includes(code), 'listed for a 和平区 community');
  await pub.goto(`${server.base}/admitted-tasks?region=120119100201&at=${first}`);
  assert.ok(!(await pub.textContent('#admitted-tasks')).includes(code), 'not for a 蓟州区 village');
  await pub.goto(`${server.base}/admitted-tasks?at=${first}`);
  const [xlsx] = await Promise.all([pub.waitForEvent('download'), pub.click('a:text-is("导出 Excel")')]);
  assert.match(xlsx.suggestedFilename(), /\.xlsx$/);
  assert.equal((await readFile(await xlsx.path())).subarray(0, 2).toString(), 'PK', 'a real workbook');
  await pub.click(`#admitted-tasks a:text-is("${code}")`);
  await pub.waitForURL(new RegExp(`/admitted-tasks/${code}$`));
  assert.match(await pub.textContent('main'), /每个社区 500 元/);
  const [pdf] = await Promise.all([pub.waitForEvent('download'), pub.click('#form-pdf')]);
  const bytes = await readFile(await pdf.path());
  assert.equal(bytes.subarray(0, 4).toString(), '%PDF', 'a real PDF');
  assert.ok(bytes.length > 10 * 1024, `the approval form is more than 10 KB (${bytes.length})`);

  const api = async (query) => {
    const r = await fetch(`${server.base}/api/v1/admitted-tasks?${query}`);
    assert.equal(r.status, 200, query);
    return JSON.stringify(await r.json());
  };
  assert.ok((await api(`region=120101001001&at=${first}`)).includes(code), 'a 和平区 community has the task');
  assert.ok(!(await api(`region=120119100201&at=${first}`)).includes(code), 'a 蓟州区 village has not');
  assert.ok(!(await api('region=120101001001')).includes(code), 'not in force today yet');

  // 8. Civil affairs' list on a phone: no sideways scrolling.
  const phone = await browser.newContext({
    viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'zh-CN',
    storageState: await civil.context.storageState(),
  });
  const mobile = await phone.newPage();
  await mobile.goto(server.base + '/admissions?view=all');
  assert.ok((await mobile.textContent('#admissions')).includes(TITLE));
  await mobile.screenshot({ path: join(shots, 'admission-phone.png'), fullPage: true });
  const width = await mobile.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390 + 1, `no sideways scrolling on a phone (${width}px)`);

  for (const c of [applicant, civil, city, approver]) await c.context.close();
  await visitor.close();
  await phone.close();
  assert.ok(id, 'the application has an id');
});

test('the same procedure through the API: idempotent create, 409, 403 audited, 422, revoke', async () => {
  assert.ok(firstStart, 'the first journey read the first allowed start');
  const jy = await caller('hp.jy');
  const application = {
    title: '社区养老服务需求登记',
    content: '各社区登记辖区 80 岁以上独居老人的养老服务需求。',
    basis: '《天津市养老服务促进条例》（演示）',
    scope: [{ unit: '120101001001' }],
    starts_on: firstStart,
    ends_on: addDays(firstStart, 30),
    workload_hours: 1.5,
    support: '区教育局拨付登记经费',
  };
  const made = await jy.call('POST', '/api/v1/admissions', application, { 'Idempotency-Key': 'yl-2026-1' });
  assert.equal(made.status, 201, JSON.stringify(made.json));
  assert.equal(made.json.stage, 'draft');
  assert.deepEqual(made.json.actions.includes('submit'), true, made.json.actions.join());
  const again = await jy.call('POST', '/api/v1/admissions', application, { 'Idempotency-Key': 'yl-2026-1' });
  assert.equal(again.json.id, made.json.id, 'the same key opens nothing new');
  const id = made.json.id;

  let r = await jy.call('POST', `/api/v1/admissions/${id}/actions/submit`);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.stage, 'submitted');
  assert.match(r.json.decide_by, /^\d{4}-\d{2}-\d{2}$/);
  r = await jy.call('POST', `/api/v1/admissions/${id}/actions/submit`);
  assert.equal(r.status, 409);
  assert.equal(r.json.error.code, 'wrong_stage');
  assert.equal(r.json.error.stage, 'submitted');

  // Too early a start: the draft is kept, its submission refused with the first allowed day.
  const early = await jy.call('POST', '/api/v1/admissions', { ...application, title: '过早开始的任务', starts_on: beijingDay(3) });
  assert.equal(early.status, 201);
  r = await jy.call('POST', `/api/v1/admissions/${early.json.id}/actions/submit`);
  assert.equal(r.status, 422);
  assert.equal(r.json.error.code, 'refused');
  assert.ok(r.json.error.message.includes(`最早可从 ${firstStart} 开始`), r.json.error.message);
  r = await jy.call('POST', `/api/v1/admissions/${early.json.id}/actions/withdraw`);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.stage, 'withdrawn');

  const city = await caller('mz.wang');
  r = await city.call('GET', `/api/v1/admissions/${id}`);
  assert.equal(r.status, 403);
  assert.equal(r.json.error.code, 'outside_scope');

  const civil = await caller('hp.mz1');
  r = await civil.call('POST', `/api/v1/admissions/${id}/actions/pass`);
  assert.equal(r.json.stage, 'passed', JSON.stringify(r.json));
  const approver = await caller('hp.sp');
  r = await approver.call('POST', `/api/v1/admissions/${id}/actions/approve`);
  assert.equal(r.json.stage, 'approved', JSON.stringify(r.json));
  const code = r.json.task;
  assert.match(code, /^ZR-120101-\d{4}-002$/);
  const task = await (await fetch(`${server.base}/api/v1/admitted-tasks/${code}`)).json();
  assert.equal(task.title, application.title);
  r = await approver.call('POST', `/api/v1/admissions/${id}/actions/revoke`);
  assert.equal(r.status, 422, 'a revocation needs its reason');
  r = await approver.call('POST', `/api/v1/admissions/${id}/actions/revoke`, { comment: '任务已由区教育局自行完成' });
  assert.equal(r.json.stage, 'revoked', JSON.stringify(r.json));
  const revoked = await (await fetch(`${server.base}/api/v1/admitted-tasks/${code}`)).json();
  assert.ok(revoked.revoked_on, 'the public sees the revocation');
  const inForce = await (await fetch(`${server.base}/api/v1/admitted-tasks?region=120101001001&at=${firstStart}`)).json();
  assert.ok(!inForce.some((t) => t.code === code), 'a revoked task is no longer in force');
  const everything = await (await fetch(`${server.base}/admitted-tasks?status=all`)).text();
  assert.match(everything, new RegExp(`${code}[\\s\\S]*已撤销`), 'the public list of all tasks shows the revocation');

  // The city's refused look is in the audit log.
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  await page.goto(server.base + '/login');
  await page.fill('input[name=username]', 'auditadmin');
  await page.fill('input[name=password]', server.admins.auditadmin);
  await page.click('button:has-text("登录")');
  await page.fill('input[name=current]', server.admins.auditadmin);
  await page.fill('input[name=new_password]', 'Shenji-Guanli-2026');
  await page.fill('input[name=confirm]', 'Shenji-Guanli-2026');
  await page.click('button:has-text("保存")');
  await page.waitForSelector('text=密码已修改');
  await page.goto(server.base + '/me');
  await page.waitForURL(/\/account\/totp$/);
  const secret = (await page.textContent('#totp-secret')).trim();
  await page.fill('input[name=code]', totp(secret));
  await page.click('button:has-text("启用")');
  await page.waitForURL(/\/me$/);
  await page.goto(server.base + '/admin/audit');
  await page.fill('input[name=event]', 'authz.out_of_scope');
  await page.click('button:has-text("查询")');
  await page.waitForSelector('td:text-is("mz.wang")');
  assert.match(await page.textContent('main'), new RegExp(`admission/${id}`));
  await page.close();
  for (const c of [jy, city, civil, approver]) await c.context.close();
});

test('civil affairs sets the level\'s working-day deadlines; the form counts with them', async () => {
  const civil = await session('hp.mz1');
  const page = civil.page;
  await page.goto(server.base + '/admissions?view=overdue');
  assert.match(await page.textContent('#admissions'), /暂无准入申请/, 'nothing overdue on the first day');
  await page.fill('#deadlines input[name=notice_days]', '35');
  await page.fill('#deadlines input[name=review_days]', '10');
  await page.click('#deadlines button[type=submit]');
  await page.waitForSelector('p.ok:has-text("办理时限已保存")');
  assert.match(await page.textContent('main'), /至少 35 个工作日，各环节在 10 个工作日内办结/);
  const applicant = await session('hp.jy');
  await applicant.page.goto(server.base + '/admissions/new');
  assert.match(await applicant.page.textContent('main'), /至少 35 个工作日/);
  const later = await applicant.page.getAttribute('#application input[name=starts_on]', 'min');
  assert.ok(later > firstStart, `35 working days end later (${later} > ${firstStart})`);
  // The city's level keeps its own default.
  const city = await session('mz.wang');
  await city.page.goto(server.base + '/admissions');
  assert.match(await city.page.textContent('main'), /准入管理（天津市）[\s\S]*至少 30 个工作日，各环节在 15 个工作日内办结/);
  await page.fill('#deadlines input[name=notice_days]', '30');
  await page.fill('#deadlines input[name=review_days]', '15');
  await page.click('#deadlines button[type=submit]');
  await page.waitForSelector('p.ok:has-text("办理时限已保存")');
  for (const c of [civil, applicant, city]) await c.context.close();
});

test('countersigning, handing the review to a colleague, a return to the review, and a rejection', async () => {
  const jy = await caller('hp.jy');
  const made = await jy.call('POST', '/api/v1/admissions', {
    title: '学校周边交通安全劝导',
    content: '各社区在上学放学时段组织志愿者劝导。',
    basis: '《天津市道路交通安全若干规定》（演示）',
    scope: [{ unit: '120101001', applies: 'community' }],
    starts_on: firstStart,
    ends_on: addDays(firstStart, 90),
    workload_hours: 4,
    support: '志愿服务保险由区教育局购买',
    co_departments: ['120101000000-007'],
  });
  assert.equal(made.status, 201, JSON.stringify(made.json));
  const id = made.json.id;
  const url = `${server.base}/admissions/${id}`;
  let r = await jy.call('POST', `/api/v1/admissions/${id}/actions/submit`);
  assert.equal(r.json.stage, 'countersigning', JSON.stringify(r.json));

  // The co-department is told, disagrees on the page (a reason is needed), then agrees.
  const wj = await session('hp.wj');
  await wj.page.goto(server.base + '/notifications');
  assert.match(await wj.page.textContent('#notifications'), /学校周边交通安全劝导》请您会签/);
  await wj.page.goto(url);
  await wj.page.selectOption('#act-countersign select[name=agree]', 'no');
  await wj.page.fill('#act-countersign input[name=comment]', '请明确劝导时段');
  await step(wj.page, '#act-countersign');
  await wj.page.waitForSelector('#stage:text-is("已退回")');
  assert.match(await wj.page.textContent('#countersigns'), /区卫生健康委员会|卫生健康/);
  r = await jy.call('POST', `/api/v1/admissions/${id}/actions/resubmit`);
  assert.equal(r.json.stage, 'countersigning');
  await wj.page.goto(url);
  await step(wj.page, '#act-countersign');
  await wj.page.waitForSelector('#stage:text-is("待初审")');

  // Civil affairs hands the review to a colleague, who alone may decide it then.
  const mz1 = await session('hp.mz1');
  await mz1.page.goto(url);
  await mz1.page.selectOption('#delegate select[name=reviewer]', 'hp.mz2');
  await mz1.page.click('#delegate button[type=submit]');
  await mz1.page.waitForSelector('p.ok:has-text("初审已转交 hp.mz2")');
  assert.equal(await mz1.page.locator('#act-pass').count(), 0, 'no longer hp.mz1\'s to decide');
  const mz2 = await session('hp.mz2');
  await mz2.page.goto(server.base + '/notifications');
  assert.match(await mz2.page.textContent('#notifications'), /将准入申请《学校周边交通安全劝导》的初审转交给您/);
  await mz2.page.goto(url);
  await step(mz2.page, '#act-pass');
  await mz2.page.waitForSelector('#stage:text-is("待审批")');

  // The approver sends it back to the review, then, passed again, rejects it.
  const sp = await session('hp.sp');
  await sp.page.goto(url);
  await sp.page.selectOption('#act-return select[name=to]', 'review');
  await sp.page.fill('#act-return input[name=comment]', '请民政局核实各社区志愿者力量');
  await step(sp.page, '#act-return');
  await sp.page.waitForSelector('#stage:text-is("待初审")');
  // Back at the review, only the colleague it was handed to is told.
  const waiting = async (c) => {
    await c.page.goto(server.base + '/notifications');
    return (await c.page.textContent('#notifications')).split('学校周边交通安全劝导》待您初审').length - 1;
  };
  assert.equal(await waiting(mz1), 1, 'hp.mz1 was told once, before handing it on');
  assert.equal(await waiting(mz2), 2, 'hp.mz2 is told again');
  await mz2.page.goto(url);
  await step(mz2.page, '#act-pass');
  await mz2.page.waitForSelector('#stage:text-is("待审批")');
  await sp.page.goto(url);
  // Without its reason (the browser asks for one; the server refuses too).
  await sp.page.evaluate(() => document.querySelector('#act-reject input[name=comment]').removeAttribute('required'));
  assert.equal(await step(sp.page, '#act-reject'), 422);
  assert.match(await sp.page.textContent('#errors'), /不予准入的理由/);
  assert.equal(await sp.page.textContent('#stage'), '待审批', 'a rejection without its reason is refused');
  await sp.page.fill('#act-reject input[name=comment]', '属于交警部门职责，不宜交由社区承担');
  await step(sp.page, '#act-reject');
  await sp.page.waitForSelector('#stage:text-is("不予准入")');
  const events = await sp.page.textContent('#events');
  // The department hears of the rejection (and of the revocation in the API journey).
  const told = await jy.context.newPage();
  await told.goto(server.base + '/notifications');
  const messages = await told.textContent('#notifications');
  assert.match(messages, /学校周边交通安全劝导》不予准入：属于交警部门职责/);
  assert.match(messages, /社区养老服务需求登记》已撤销：任务已由区教育局自行完成/);
  // A co-department lists what it countersigns, not the applicant's other applications.
  await wj.page.goto(server.base + '/admissions?view=all');
  const listed = await wj.page.textContent('#admissions');
  assert.ok(listed.includes('学校周边交通安全劝导') && !listed.includes(TITLE), listed);
  await jy.context.close();
  for (const c of [wj, mz1, mz2, sp]) await c.context.close();
  // The record names a disagreement as such.
  assert.match(events, /会签不同意[\s\S]*请明确劝导时段[\s\S]*重新提交[\s\S]*会签同意[\s\S]*初审通过[\s\S]*退回[\s\S]*初审通过[\s\S]*不予准入/);
});

test('the public list\'s 单位 filter offers Tianjin\'s districts', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(server.base + '/admitted-tasks');
  const options = await page.locator('#filter select[name=region] option').allTextContents();
  for (const district of ['和平区', '蓟州区']) {
    assert.ok(options.includes(district), `${district} among ${options.join('、')}`);
  }
  await page.close();
});
