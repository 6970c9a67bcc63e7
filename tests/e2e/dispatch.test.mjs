// Journey (the dispatch issue, first part): 和平区卫生健康委 writes a task citing its directory
// item XZ-008, has it checked for 劝业场街道's communities and sends it; a task citing nothing is
// checked and blocked with a Chinese reason, never delivered; a community worker, on a phone,
// finds the task in its inbox with its basis and refuses it with a reason.
// Then (second test) the community reports a task that reached it through a WeChat group, with
// a screenshot; the district's civil affairs drafts a notice from the ledger, the approver
// approves it (which numbers it), civil affairs publishes it, and anyone reads it and its PDF.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startServer, startBrowser, shots } from './harness.mjs';

const PASSWORD = 'Weijian-2026';
const TITLE = '开展冬春季传染病防控宣传';
let server;
let browser;

before(async () => {
  server = await startServer({
    users: [
      { username: 'hp.wj', role: 'department_officer', region: '120101', department: '120101000000-007', password: PASSWORD },
      { username: 'sq.hyl', role: 'village_worker', region: '120101001001', password: PASSWORD },
      { username: 'hp.mz', role: 'civil_affairs', region: '120101', password: PASSWORD },
      { username: 'hp.sp', role: 'approver', region: '120101', password: PASSWORD },
    ],
  });
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

/** Logs in and replaces the one-time password `jianfu user add` set. */
async function session(username, viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport, locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(server.base + '/login');
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button:has-text("登录")');
  await page.waitForURL(/\/account\/password$/);
  await page.fill('input[name=current]', PASSWORD);
  await page.fill('input[name=new_password]', `${PASSWORD}-new`);
  await page.fill('input[name=confirm]', `${PASSWORD}-new`);
  await page.click('button:has-text("保存")');
  await page.waitForSelector('text=密码已修改');
  return { page, context };
}

/** Logs in again after `session` changed the password. */
async function login(username, viewport) {
  const context = await browser.newContext({ viewport, locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(server.base + '/login');
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', `${PASSWORD}-new`);
  await page.click('button:has-text("登录")');
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  return { page, context };
}

test('a department checks and sends a task; one citing nothing is blocked; a community refuses it', async () => {
  const { page, context } = await session('hp.wj');
  await page.click('nav.mainnav >> text=任务派发');
  await page.waitForURL(/\/dispatches\/new$/);

  // Citing nothing: every unit blocked, with the reason.
  await page.fill('input[name=title]', '报送辖区商户名单');
  await page.fill('textarea[name=targets]', '120101001');
  await page.click('#check');
  await page.waitForSelector('#verdicts');
  const blocked = await page.textContent('#verdicts');
  assert.match(blocked, /不予派发/);
  assert.match(blocked, /未引用指导目录事项或准入事项/);

  // Citing its own item: allowed for every community of the subdistrict; checked, then sent.
  await page.fill('input[name=title]', TITLE);
  await page.fill('textarea[name=body]', '请各社区张贴宣传材料，并在居民群中转发');
  await page.fill('input[name=item_code]', 'XZ-008');
  await page.fill('input[name=due_date]', '2027-01-31');
  await page.click('#check');
  await page.waitForSelector('#verdicts');
  const allowed = await page.textContent('#verdicts');
  assert.match(allowed, /准予派发/);
  assert.match(allowed, /依据“依法协助政府工作事务”第 1 版事项 XZ-008/);
  await page.screenshot({ path: join(shots, 'dispatch-check.png'), fullPage: true });
  await page.click('#send');
  await page.waitForURL(/\/dispatches\/\d+$/);
  const counts = await page.textContent('#counts');
  assert.match(counts, /准予派发/);
  assert.doesNotMatch(await page.textContent('#deliveries'), /不予派发/);
  await context.close();

  // The community, on a phone: the task with its basis; refusing needs a reason.
  const phone = await session('sq.hyl', { width: 390, height: 844 });
  await phone.page.click('nav.mainnav >> text=收到的任务');
  await phone.page.waitForURL(/\/inbox$/);
  const inbox = await phone.page.textContent('#inbox');
  assert.match(inbox, new RegExp(TITLE));
  assert.match(inbox, /XZ-008/);
  assert.match(inbox, /2027-01-31/);
  assert.doesNotMatch(inbox, /报送辖区商户名单/, 'a blocked task never arrives');
  const width = await phone.page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 391, `no sideways scrolling on a phone (${width})`);
  await phone.page.screenshot({ path: join(shots, 'inbox-phone.png'), fullPage: true });
  await phone.page.click('button[value=refuse]');
  await phone.page.waitForSelector('#errors');
  assert.match(await phone.page.textContent('#errors'), /拒绝须写明理由/);
  await phone.page.fill('input[name=comment]', '本社区已于上月完成同类宣传');
  await phone.page.click('button[value=refuse]');
  await phone.page.waitForSelector('text=已拒绝');
  assert.match(await phone.page.textContent('#inbox'), /本社区已于上月完成同类宣传/);
  await phone.context.close();
});

test('a community reports an off-platform task; civil affairs drafts, approves and publishes a notice', async () => {
  // The first test changed this worker's password; log in with the new one.
  const phone = await login('sq.hyl', { width: 390, height: 844 });
  await phone.page.click('nav.mainnav >> text=报告场外任务');
  await phone.page.waitForURL(/\/reports$/);
  // Without a channel the form says what is missing and keeps what was typed.
  await phone.page.selectOption('select[name=sender]', { label: '区教育局' });
  await phone.page.fill('input[name=title]', '统计辖区学生家长手机号码');
  await phone.page.evaluate(() => document.querySelector('select[name=channel]').removeAttribute('required'));
  await phone.page.click('button:has-text("提交报告")');
  await phone.page.waitForSelector('#errors');
  assert.match(await phone.page.textContent('#errors'), /请选择收到任务的渠道/);
  assert.equal(await phone.page.inputValue('input[name=title]'), '统计辖区学生家长手机号码');
  await phone.page.selectOption('select[name=sender]', { label: '区教育局' });
  await phone.page.selectOption('select[name=channel]', 'work_group');
  await phone.page.fill('textarea[name=body]', '请各社区今天下班前在群里上报学生家长手机号码');
  await phone.page.setInputFiles('input[name=evidence]', {
    name: '群消息截图.png',
    mimeType: 'image/png',
    buffer: Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4a30000000049454e44ae426082', 'hex'),
  });
  await phone.page.click('button:has-text("提交报告")');
  await phone.page.waitForSelector('text=已记入派发单位的违规台账');
  const reports = await phone.page.textContent('#reports');
  assert.match(reports, /统计辖区学生家长手机号码/);
  assert.match(reports, /不予派发/);
  assert.match(reports, /群消息截图\.png/);
  const width = await phone.page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 391, `no sideways scrolling on a phone (${width})`);
  await phone.page.screenshot({ path: join(shots, 'report-phone.png'), fullPage: true });
  await phone.context.close();

  // District civil affairs: the ledger shows the report; a notice is drafted from it.
  const mz = await session('hp.mz');
  await mz.page.click('nav.mainnav >> text=违规台账');
  await mz.page.waitForURL(/\/violations$/);
  const ledger = await mz.page.textContent('#violations');
  assert.match(ledger, /统计辖区学生家长手机号码/);
  assert.match(ledger, /村（社区）报告/);
  await mz.page.screenshot({ path: join(shots, 'violations.png'), fullPage: true });
  await mz.page.click('nav.mainnav >> text="通报"');
  await mz.page.waitForURL(/\/notice-drafts$/);
  await mz.page.click('button:has-text("起草通报")');
  await mz.page.waitForURL(/\/notices\/\d+$/);
  const id = mz.page.url().match(/\/notices\/(\d+)$/)[1];
  const draft = await mz.page.textContent('#document');
  assert.match(draft, /天津市和平区教育局：违规派发1起/);
  assert.doesNotMatch(draft, /花园路/, 'a public notice names no reporting community');
  await mz.page.click('button[value=submit]');
  await mz.page.waitForSelector('text=已提交审批');

  // Not public before it is published.
  assert.equal((await fetch(`${server.base}/notices/${id}`)).status, 404);

  const sp = await session('hp.sp');
  await sp.page.goto(`${server.base}/notices/${id}`);
  await sp.page.click('button[value=approve]');
  await sp.page.waitForSelector('text=已批准印发');
  const year = new Date().getFullYear();
  assert.match(await sp.page.textContent('h1'), new RegExp(`和民减负通〔${year}〕1号`));
  await sp.context.close();

  await mz.page.goto(`${server.base}/notices/${id}`);
  await mz.page.click('button[value=publish]');
  await mz.page.waitForSelector('text=已公开发布');
  await mz.page.screenshot({ path: join(shots, 'notice.png'), fullPage: true });
  await mz.context.close();

  // Anyone: the public list, the page and the PDF in the official layout.
  const context = await browser.newContext({ locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(server.base + '/notices');
  await page.click(`a[href="/notices/${id}"]`);
  assert.match(await page.textContent('#document'), /天津市和平区民政局/);
  const pdf = await page.request.get(`${server.base}/notices/${id}/pdf`);
  assert.equal(pdf.status(), 200);
  const bytes = await pdf.body();
  assert.equal(bytes.subarray(0, 4).toString(), '%PDF');
  assert.ok(bytes.length > 20000, `fonts are embedded (${bytes.length} bytes)`);
  await context.close();
});
