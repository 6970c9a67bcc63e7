// Journey (the dispatch issue, first part): 和平区卫生健康委 writes a task citing its directory
// item XZ-008, has it checked for 劝业场街道's communities and sends it; a task citing nothing is
// checked and blocked with a Chinese reason, never delivered; a community worker, on a phone,
// finds the task in its inbox with its basis and refuses it with a reason.
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
