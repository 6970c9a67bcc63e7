// Journey: a visitor opens the home page and drills down to a Tianjin village; searches by name;
// and a village worker opens their township on a phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startServer, startBrowser, shots } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

test('drill down from the home page to a village', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  await page.goto(server.base + '/');
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  assert.match(await page.textContent('.stats'), /5,617/);
  await page.screenshot({ path: join(shots, 'home.png') });

  await page.click('text=浏览区划');
  await page.click('#region-table a:text-is("天津市")');
  await page.click('#region-table a:text-is("市辖区")');
  await page.click('#region-table a:text-is("蓟州区")');
  await page.waitForSelector('h1:has-text("蓟州区")');
  // The first town of 蓟州区, then its first village (村委会).
  await page.click('#region-table tbody tr:has(td:text-is("镇")) a');
  await page.waitForSelector('h1 .tag:text-is("镇")');
  await page.click('#region-table tbody tr:has(td:text-is("村委会")) a');
  await page.waitForSelector('h1 .tag:text-is("村委会")');
  const crumbs = await page.textContent('.crumbs');
  for (const c of ['首页', '行政区划', '天津市', '市辖区', '蓟州区']) assert.ok(crumbs.includes(c), c);
  assert.match(await page.textContent('.facts'), /村级/);
  await page.screenshot({ path: join(shots, 'region-village.png'), fullPage: true });
  await page.close();
});

test('search by name updates the table in place', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  await page.goto(server.base + '/regions');
  await page.fill('#q', '劝业场');
  await page.waitForSelector('#region-table td a:has-text("劝业场街道")');
  assert.match(page.url(), /q=%E5%8A%9D/, 'the address follows the search, so it can be bookmarked');
  assert.match(await page.textContent('.pager'), /共 1 条/);
  await page.selectOption('select[name=level]', 'village');
  await page.fill('#q', '');
  await page.waitForSelector('.pager:has-text("共 5,617 条")');
  await page.click('.pager a:has-text("下一页")');
  await page.waitForSelector('.pager:has-text("第 2 / 281 页")');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(shots, 'region-search.png') });
  await page.close();
});

test('a township on a phone screen', async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await page.goto(server.base + '/regions/120101001000');
  await page.waitForSelector('h1:has-text("劝业场街道")');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling on a phone (overflow ${overflow}px)`);
  assert.equal(await page.isVisible('th.hide-sm'), false, 'secondary columns hidden on phones');
  await page.screenshot({ path: join(shots, 'region-phone.png'), fullPage: true });
  await page.close();
});
