// Journey (the inspection issue): a city inspector forms a joint group and plans an unannounced
// visit; the seal (an SM3 digest) is shown while the plan is hidden, the plan after the visit
// with the digest checked; a finding is recorded with a photo and becomes a rectification; the
// community reports what it did with evidence on a phone; the inspector verifies and closes it;
// the campaign page shows the phase in force with its criteria; city civil affairs drafts a notice
// on the inspection results, the approver approves it, it is published and its PDF renders.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startServer, startBrowser, shots } from './harness.mjs';

const PASSWORD = 'Jiancha-Anfang-2026';
const COMMUNITY = '120101001001'; // 和平区 劝业场街道 花园路社区
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
let server;
let browser;

before(async () => {
  server = await startServer({
    users: [
      { username: 'jc.wang', role: 'inspector', region: '120000000000', password: PASSWORD },
      { username: 'sq.li', role: 'village_worker', region: COMMUNITY, password: PASSWORD },
      { username: 'mz.city', role: 'civil_affairs', region: '120000000000', password: PASSWORD },
      { username: 'sp.city', role: 'approver', region: '120000000000', password: PASSWORD },
    ],
  });
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

async function login(context, username) {
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
  return page;
}

test('an unannounced visit is sealed, revealed, rectified and verified', async () => {
  const desk = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
  const inspector = await login(desk, 'jc.wang');
  await inspector.click('nav >> text=检查评估');
  await inspector.waitForURL(/\/inspections$/);

  // A joint group of the three bodies; the inspector is its first member.
  await inspector.fill('#group-form input[name=name]', '市减负联合检查第一组');
  const rows = inspector.locator('#members .row');
  for (const [i, name] of ['王民政', '李组织', '赵农办'].entries()) {
    await rows.nth(i).locator('input[name=member_name]').fill(name);
  }
  await rows.nth(0).locator('input[name=member_username]').fill('jc.wang');
  await inspector.click('button:has-text("组建检查组")');
  await inspector.waitForSelector('text=检查组已组建');

  // An unannounced plan for one community, with a recorded seed.
  await inspector.fill('#plan-form input[name=title]', '2026年第四季度减负暗访');
  await inspector.selectOption('#plan-form select[name=visibility]', 'unannounced');
  await inspector.fill('#plan-form input[name=within]', COMMUNITY);
  await inspector.fill('#plan-form input[name=per_district]', '1');
  await inspector.fill('#plan-form input[name=seed]', '20261208');
  await inspector.click('button:has-text("抽取样本并生成计划")');
  await inspector.waitForSelector('text=检查计划已生成');
  assert.match(await inspector.textContent('#visits'), /花园路社区/);
  assert.equal(await inspector.textContent('#plan-seed'), '20261208');

  await inspector.click('button:has-text("封存计划")');
  await inspector.waitForSelector('#seal-digest');
  const digest = (await inspector.textContent('#seal-digest')).trim();
  assert.match(digest, /^[0-9a-f]{64}$/);
  assert.match(await inspector.textContent('#seal'), /计划原文在检查结束后公开/);
  await inspector.screenshot({ path: join(shots, 'inspection-sealed.png') });

  // The visit: a finding with a photo.
  await inspector.selectOption('#finding-form select[name=item]', 'signage.outside_signs');
  await inspector.fill('#finding-form textarea[name=description]', '服务中心外墙挂有综治中心等 3 块规定以外的牌子');
  await inspector.setInputFiles('#finding-form input[name=photo]', { name: '外墙.png', mimeType: 'image/png', buffer: PNG });
  await inspector.click('#finding-form button:has-text("记录")');
  await inspector.waitForSelector('text=检查发现已记录');
  assert.equal(await inspector.locator('.finding img').count(), 1);

  // After the visit the plan is revealed and its digest checked.
  await inspector.click('button:has-text("结束检查并公开计划")');
  await inspector.waitForSelector('#sealed-text');
  assert.equal((await inspector.textContent('#seal-digest')).trim(), digest);
  assert.match(await inspector.textContent('#sealed-text'), new RegExp(`visit=\\d{4}-\\d{2}-\\d{2} ${COMMUNITY}`));
  assert.match(await inspector.textContent('#seal-check'), /核对一致/);
  await inspector.screenshot({ path: join(shots, 'inspection-revealed.png'), fullPage: true });

  await inspector.fill('.issue-form input[name=measures]', '摘除规定以外的外部标牌，保留“一横四竖两标识”');
  await inspector.fill('.issue-form input[name=days]', '10');
  await inspector.click('.issue-form button:has-text("下达整改")');
  await inspector.waitForSelector('text=整改已下达');
  const rectUrl = inspector.url().split('?')[0];
  assert.match(await inspector.textContent('#rect-stage'), /待整改/);

  // The community reports on a phone, with a photo of the wall.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
  const worker = await login(phone, 'sq.li');
  await worker.click('nav >> text="整改"');
  await worker.waitForURL(/\/rectifications$/);
  assert.match(await worker.textContent('#rectifications'), /摘除规定以外的外部标牌/);
  await worker.click('#rectifications a');
  await worker.fill('#rect-submit textarea[name=note]', '已摘除综治中心、新时代文明实践站、退役军人服务站三块外部标牌');
  await worker.setInputFiles('#rect-submit input[name=evidence]', { name: '整改后.png', mimeType: 'image/png', buffer: PNG });
  await worker.click('#rect-submit button:has-text("报送")');
  await worker.waitForSelector('text=整改状态：待核查');
  const width = await worker.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 391, `no sideways scrolling on a phone (${width})`);
  await worker.screenshot({ path: join(shots, 'rectification-phone.png'), fullPage: true });

  // The inspector verifies and closes it.
  await inspector.goto(rectUrl);
  assert.match(await inspector.textContent('#rect-report'), /已摘除/);
  await inspector.fill('#rect-verify textarea[name=note]', '现场核实，外部标牌已规范');
  await inspector.click('#rect-verify button:has-text("核查通过并销号")');
  await inspector.waitForSelector('text=整改状态：已销号');
  assert.match(await inspector.textContent('#rect-steps'), /报送整改情况[\s\S]*核查通过并销号/);

  await inspector.click('nav >> text="整改"');
  assert.match(await inspector.textContent('#rect-summary'), /共 1 件，已销号 1 件，逾期 0 件/);
  const download = inspector.waitForEvent('download');
  await inspector.click('text=导出 Excel');
  assert.match((await download).suggestedFilename(), /^整改台账-天津市-\d{4}-\d{2}-\d{2}\.xlsx$/);

  // The campaign: the phase in force and its criteria, measured.
  await inspector.click('nav >> text=时间安排');
  assert.match(await inspector.textContent('#current-phase'), /当前阶段：巩固提升/);
  assert.match(await inspector.textContent('tr[data-phase=rectification]'), /整改销号率不低于 95%：100\.0%（1\/1）/);
  assert.match(await inspector.textContent('tr[data-phase=inspection]'), /各区均已完成至少一次检查：1\/16 个区/);
  await inspector.screenshot({ path: join(shots, 'campaign.png'), fullPage: true });

  // A notice on the inspection results: drafted, approved, published, its PDF rendered.
  const mz = await login(await browser.newContext({ locale: 'zh-CN' }), 'mz.city');
  await mz.click('nav.mainnav >> text="通报"');
  await mz.waitForURL(/\/notice-drafts$/);
  await mz.selectOption('#draft select[name=subject]', 'inspections');
  await mz.click('button:has-text("起草通报")');
  await mz.waitForURL(/\/notices\/\d+$/);
  const id = mz.url().match(/\/notices\/(\d+)$/)[1];
  const draft = await mz.textContent('#document');
  assert.match(draft, /村（社区）减负工作检查评估情况的通报/);
  assert.match(draft, /（一）和平区：检查1个村（社区），“党群服务中心外挂牌子是否符合“一横四竖两标识””1个；已下达整改1个，已销号1个。/);
  assert.doesNotMatch(draft, /花园路/, 'a public notice names no unit');
  await mz.click('button[value=submit]');
  await mz.waitForSelector('text=已提交审批');
  const sp = await login(await browser.newContext({ locale: 'zh-CN' }), 'sp.city');
  await sp.goto(`${server.base}/notices/${id}`);
  await sp.click('button[value=approve]');
  await sp.waitForSelector('text=已批准印发');
  await mz.goto(`${server.base}/notices/${id}`);
  await mz.click('button[value=publish]');
  await mz.waitForSelector('text=已公开发布');
  const pdf = await fetch(`${server.base}/notices/${id}/pdf`);
  assert.equal(pdf.status, 200);
  const bytes = Buffer.from(await pdf.arrayBuffer());
  assert.equal(bytes.subarray(0, 4).toString(), '%PDF');
});
