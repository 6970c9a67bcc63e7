// Journey (the signage issue): a community worker, on a phone, records seven outside signs and a
// service centre with half its area for residents; the extra signs and the area are flagged with
// their reasons and put on the clean-up list. After the worker records the fixes the unit is
// compliant, and the district's civil affairs sees the progress of its township change.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startServer, startBrowser, shots } from './harness.mjs';

const PASSWORD = 'Paizi-Zicha-2026';
let server;
let browser;

before(async () => {
  server = await startServer({
    users: [
      { username: 'sq.li', role: 'village_worker', region: '120101001001', password: PASSWORD },
      { username: 'hp.mz', role: 'civil_affairs', region: '120101', password: PASSWORD },
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

/** Fills the sign rows in order, adding rows as needed, and clears the rest. */
async function fillSigns(page, signs) {
  let rows = await page.locator('#signs .row').count();
  while (rows < signs.length) {
    await page.click('button:has-text("增加一块标牌")');
    rows += 1;
  }
  for (let i = 0; i < rows; i += 1) {
    const row = page.locator('#signs .row').nth(i);
    const [name, position] = signs[i] ?? ['', 'outside'];
    await row.locator('input[name=sign_name]').fill(name);
    await row.locator('select[name=sign_position]').selectOption(position);
  }
}

test('a community flags its extra signs and its small activity area, fixes them, and the district sees it', async () => {
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
  const page = await login(phone, 'sq.li');
  await page.click('nav >> text=机制牌子自查');
  await page.waitForURL(/\/signage$/);
  assert.match(await page.textContent('main'), /尚未提交自查/);

  const allowed = [
    ['花园路社区党群服务中心', 'outside'],
    ['中共花园路社区委员会', 'outside'],
    ['花园路社区居民委员会', 'outside'],
    ['花园路社区居务监督委员会', 'outside'],
  ];
  await fillSigns(page, [
    ...allowed,
    ['花园路社区综治中心', 'outside'],
    ['新时代文明实践站', 'outside'],
    ['退役军人服务站', 'outside'],
    ['花园路社区人民调解委员会', 'inside'],
  ]);
  await page.locator('#mechanisms .row').first().locator('input[name=mech_name]').fill('人民调解委员会');
  await page.fill('input[name=total_area]', '400');
  await page.fill('input[name=activity_area]', '200');
  await page.fill('input[name=office_area]', '120');
  await page.click('button:has-text("提交自查")');
  await page.waitForSelector('text=发现 4 处不符合规定');
  const findings = await page.textContent('#findings');
  for (const extra of ['花园路社区综治中心', '新时代文明实践站', '退役军人服务站']) {
    assert.match(findings, new RegExp(`外部标牌“${extra}”`));
  }
  assert.match(findings, /活动区域 200 平方米 占总建筑面积 400 平方米 的 50%，低于规定的 60%/);
  assert.equal(await page.locator('#cleanup tbody tr:has-text("待整改")').count(), 4);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 391, `no sideways scrolling on a phone (${width})`);
  // The findings as the worker sees them at the top of the page.
  await page.screenshot({ path: join(shots, 'signage-self-check-phone.png') });

  // The fixes: the three signs taken down, the marks hung, the activity area enlarged.
  await fillSigns(page, [
    ...allowed,
    ['党徽', 'outside'],
    ['中国社区标识', 'outside'],
    ['花园路社区人民调解委员会', 'inside'],
  ]);
  await page.fill('input[name=activity_area]', '260');
  await page.fill('input[name=office_area]', '80');
  await page.click('button:has-text("提交自查")');
  await page.waitForSelector('text=已提交：符合规定');
  assert.match(await page.textContent('#compliant'), /符合规定/);
  assert.equal(await page.locator('#cleanup tbody tr:has-text("已整改")').count(), 4);

  // A photo of the centre, as a phone's camera gives it.
  await page.selectOption('#photo-form select[name=subject]', 'centre');
  await page.setInputFiles('#photo-form input[name=photo]', {
    name: 'centre.png',
    mimeType: 'image/png',
    buffer: Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64'),
  });
  await page.click('button:has-text("上传照片")');
  await page.waitForSelector('text=照片已上传');
  assert.equal(await page.locator('#photos img').count(), 1);
  // The photo itself loads (it is lazy: scrolled to first).
  await page.locator('#photos img').scrollIntoViewIfNeeded();
  await page.waitForFunction(() => document.querySelector('#photos img').naturalWidth === 1);

  // Work methods: a provider bought by government takes 居家养老服务 off the community.
  await page.click('nav >> text=工作方式');
  await page.waitForURL(/\/work-methods$/);
  await page.fill('#provider-form input[name=name]', '和平区乐龄社工服务中心');
  await page.selectOption('#provider-form select[name=kind]', 'government_purchase');
  await page.selectOption('#provider-form select[name=item_code]', 'GF-001');
  await page.fill('#provider-form textarea[name=provides]', '老年人助餐、探访关爱，每周三次');
  await page.click('button:has-text("登记")');
  await page.waitForSelector('text=已登记服务提供方');
  assert.match(await page.textContent('#items'), /和平区乐龄社工服务中心（政府购买服务/);
  await page.screenshot({ path: join(shots, 'work-methods-phone.png') });

  // The district's civil affairs: the township shows one unit submitted and compliant.
  const desk = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
  const office = await login(desk, 'hp.mz');
  await office.click('nav >> text=机制牌子整改进度');
  await office.waitForURL(/\/signage\/progress$/);
  const township = office.locator('#progress tr[data-code="120101001000"]');
  const cells = await township.locator('td').allTextContents();
  assert.deepEqual(cells.slice(2, 8), ['1', '1', '0', '4', '0', '100%']);
  await office.screenshot({ path: join(shots, 'signage-progress.png'), fullPage: true });
  await township.locator('a').click();
  await office.waitForURL(/region=120101001000/);
  await office.click('a:has-text("花园路社区居委会")');
  await office.waitForURL(/\/signage\?unit=120101001001/);
  assert.match(await office.textContent('#findings'), /符合规定/);
  assert.equal(await office.locator('#signage-form').count(), 0);
  await phone.close();
  await desk.close();
});
