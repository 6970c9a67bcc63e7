// Journey (the directories issue's "done when"): a civil-affairs officer opens a draft
// adjustment of the may-issue list, imports a bad spreadsheet and sees its row errors, imports a
// good one and submits; a second civil-affairs officer reviews it; the approver approves it; the
// drafter publishes it in force from today; the public page shows the new version, its
// difference from the old one and its Excel and PDF downloads. Then a district (和平区) refines the
// city's list through its own review and approval, and the public sees the district's view.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { startServer, startBrowser, shots } from './harness.mjs';

const PASSWORD = 'Minzheng-2026';
let server;
let browser;

before(async () => {
  server = await startServer({
    users: [
      { username: 'mz.wang', role: 'civil_affairs', region: '12', password: PASSWORD },
      { username: 'mz.li', role: 'civil_affairs', region: '12', password: PASSWORD },
      { username: 'sp.zhao', role: 'approver', region: '12', password: PASSWORD },
      { username: 'hp.mz1', role: 'civil_affairs', region: '120101', password: PASSWORD },
      { username: 'hp.mz2', role: 'civil_affairs', region: '120101', password: PASSWORD },
      { username: 'hp.sp', role: 'approver', region: '120101', password: PASSWORD },
    ],
  });
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

async function session(username) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(server.base + '/login');
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button:has-text("登录")');
  // Accounts opened with `jianfu user add` replace their one-time password first.
  await page.waitForURL(/\/account\/password$/);
  await page.fill('input[name=current]', PASSWORD);
  await page.fill('input[name=new_password]', `${PASSWORD}-new`);
  await page.fill('input[name=confirm]', `${PASSWORD}-new`);
  await page.click('button:has-text("保存")');
  await page.waitForSelector('text=密码已修改');
  await page.goto(server.base + '/me');
  return { page, context };
}

const HEAD = 'list_kind\titem_no\titem_name\tbasis_or_note\tdepartment\tsource_url\n';
const dir = mkdtempSync(join(tmpdir(), 'jianfu-adj-'));
const bad = join(dir, '有误的清单.tsv');
writeFileSync(bad, HEAD
  + '可出具证明事项\tx\t居住证明\t\t\t\n'
  + '不应出具证明事项\t7\t亲属关系证明\t\t\t\n'
  + '可出具证明事项\t8\t\t\t\t\n');
const good = join(dir, '可出具证明事项调整.tsv');
writeFileSync(good, HEAD
  + '可出具证明事项·天津\t1\t居民在本社区居住的证明\t天津市民政局、市委组织部（2019-09）\t天津市民政局\t\n'
  + '可出具证明事项·天津\t6\t为居民出具养老服务需求评估情况证明\t演示\t天津市民政局\t\n');

test('import, review, approve and publish an adjustment; the public sees the new version', async () => {
  const drafter = await session('mz.wang');
  let page = drafter.page;
  await page.click('.mainnav a:text-is("目录调整")');
  await page.waitForSelector('h1:text-is("目录调整")');
  await page.selectOption('#new-adjustment select[name=kind]', 'certificate_may_issue');
  await page.fill('#new-adjustment input[name=title]', '2026 年可出具证明事项调整');
  await page.fill('#new-adjustment input[name=reason]', '落实数据共享，减少证明');
  await page.fill('#new-adjustment input[name=basis]', '民发〔2020〕20号');
  await page.click('#new-adjustment button');
  await page.waitForSelector('#stage:text-is("草稿")');
  const draftUrl = page.url();

  await page.setInputFiles('#import input[type=file]', bad);
  await page.click('#import button');
  await page.waitForSelector('#errors');
  const errors = await page.textContent('#errors');
  assert.match(errors, /3 处错误，未导入任何内容/);
  for (const row of ['第 2 行', '第 3 行', '第 4 行']) assert.ok(errors.includes(row), row);
  assert.match(await page.textContent('#changes'), /尚无调整内容/, 'nothing landed');
  await page.screenshot({ path: join(shots, 'adjustment-errors.png'), fullPage: true });

  await page.setInputFiles('#import input[type=file]', good);
  await page.click('#import button');
  await page.waitForSelector('p.ok:has-text("已导入 2 项调整内容")');
  assert.match(await page.textContent('#changes'), /修改[\s\S]*KC-001[\s\S]*新增[\s\S]*KC-006/);
  await page.screenshot({ path: join(shots, 'adjustment-draft.png'), fullPage: true });
  await page.click('#act-submit button');
  await page.waitForSelector('#stage:text-is("待审核")');
  assert.equal(await page.locator('#act-review').count(), 0, 'the drafter does not review');

  const reviewer = await session('mz.li');
  await reviewer.page.goto(draftUrl);
  await reviewer.page.click('#act-review button');
  await reviewer.page.waitForSelector('#stage:text-is("待审批")');

  const approver = await session('sp.zhao');
  await approver.page.goto(draftUrl);
  assert.equal(await approver.page.locator('#import').count(), 0, 'the approver does not edit');
  await approver.page.screenshot({ path: join(shots, 'adjustment-approve.png'), fullPage: true });
  await approver.page.click('#act-approve button');
  await approver.page.waitForSelector('#stage:text-is("待发布")');

  await page.goto(draftUrl);
  await page.click('#act-publish button');
  await page.waitForSelector('#stage:text-is("已发布")');
  assert.match(await page.textContent('#events'), /提交审核[\s\S]*审核通过[\s\S]*批准[\s\S]*发布/);

  // The public, without logging in.
  const visitor = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const pub = await visitor.newPage();
  await pub.goto(server.base + '/directories/certificate_may_issue');
  await pub.waitForSelector('h1 .tag:text-is("第 2 版")');
  assert.match(await pub.textContent('#items'), /居民在本社区居住的证明[\s\S]*养老服务需求评估/);
  await pub.click('a:text-is("版本与比较")');
  await pub.waitForSelector('#diff');
  assert.match(await pub.textContent('#diff'), /新增 1 项，取消 0 项，修改 1 项/);
  assert.match(await pub.textContent('#diff'), /居民在社区居住证明[\s\S]*居民在本社区居住的证明/);
  await pub.screenshot({ path: join(shots, 'directory-diff.png'), fullPage: true });
  await pub.goto(server.base + '/directories/certificate_may_issue');
  const [download] = await Promise.all([pub.waitForEvent('download'), pub.click('#download-xlsx')]);
  assert.match(download.suggestedFilename(), /第2版\.xlsx|v2\.xlsx/);
  const [pdf] = await Promise.all([pub.waitForEvent('download'), pub.click('#download-pdf')]);
  assert.match(pdf.suggestedFilename(), /第2版\.pdf|v2\.pdf/);
  const head = (await readFile(await pdf.path())).subarray(0, 4).toString();
  assert.equal(head, '%PDF', 'a real PDF');
  for (const c of [drafter, reviewer, approver]) await c.context.close();
  await visitor.close();
});

test('a district refines the city list, never widening it; the public sees the district view', async () => {
  const drafter = await session('hp.mz1');
  const page = drafter.page;
  await page.click('.mainnav a:text-is("目录调整")');
  await page.waitForSelector('h1:text-is("区级细化（和平区）")');
  await page.selectOption('#new-adjustment select[name=kind]', 'certificate_may_issue');
  await page.fill('#new-adjustment input[name=title]', '和平区可出具证明事项细化');
  await page.fill('#new-adjustment input[name=reason]', '明确本区办理渠道');
  await page.click('#new-adjustment button');
  await page.waitForSelector('#stage:text-is("草稿")');
  const draftUrl = page.url();

  // Widening the city's validity is refused on the spot, nothing saved.
  await page.selectOption('#refine select[name=code]', 'KC-002');
  await page.fill('#refine input[name=valid_from]', '2000-01-01');
  await page.click('#refine button');
  await page.waitForSelector('#errors');
  assert.match(await page.textContent('#errors'), /KC-002 的区级有效期超出了市级有效期/);
  assert.match(await page.textContent('#changes'), /尚无细化内容/);

  await page.selectOption('#refine select[name=code]', 'KC-003');
  await page.fill('#refine input[name=note]', '由社区党群服务中心“一窗受理”');
  await page.fill('#refine input[name=local_basis]', '和平区社区证明事项办理规程（演示）');
  await page.fill('#refine input[name=process]', '受理、核实、出具，当日办结');
  await page.click('#refine button');
  await page.waitForSelector('p.ok:has-text("已加入细化")');
  assert.match(await page.textContent('#changes'), /细化[\s\S]*KC-003[\s\S]*一窗受理/);
  await page.screenshot({ path: join(shots, 'refinement-draft.png'), fullPage: true });
  await page.click('#act-submit button');
  await page.waitForSelector('#stage:text-is("待审核")');

  const reviewer = await session('hp.mz2');
  await reviewer.page.goto(draftUrl);
  await reviewer.page.click('#act-review button');
  await reviewer.page.waitForSelector('#stage:text-is("待审批")');
  const approver = await session('hp.sp');
  await approver.page.goto(draftUrl);
  await approver.page.click('#act-approve button');
  await approver.page.waitForSelector('#stage:text-is("待发布")');
  await page.goto(draftUrl);
  await page.click('#act-publish button');
  await page.waitForSelector('#stage:text-is("已发布")');
  assert.match(await page.textContent('#events'), /区级细化第 1 版/);

  // The public: the district's view of the list, and the item's refinements, on a phone too.
  const visitor = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
  const pub = await visitor.newPage();
  await pub.goto(server.base + '/directories/certificate_may_issue');
  await pub.selectOption('select[name=district]', '120101');
  await pub.click('button:text-is("查询")');
  await pub.waitForSelector('th:text-is("区级细化")');
  assert.match(await pub.textContent('#items'), /一窗受理[\s\S]*运行流程：受理、核实、出具/);
  await pub.screenshot({ path: join(shots, 'directory-district.png'), fullPage: true });
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN', isMobile: true });
  const mobile = await phone.newPage();
  await mobile.goto(server.base + '/directories/certificate_may_issue/items/KC-003');
  assert.match(await mobile.textContent('#refinements'), /和平区[\s\S]*第 1 版[\s\S]*一窗受理/);
  const width = await mobile.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `no sideways scrolling on a phone (${width}px)`);
  await mobile.screenshot({ path: join(shots, 'directory-item-district.png'), fullPage: true });
  for (const c of [drafter, reviewer, approver]) await c.context.close();
  await visitor.close();
  await phone.close();
});
