// Journey: a resident browses the published directories without logging in, searches in
// Chinese, opens an item with its history and the versions page, downloads a version as Excel,
// and reads a directory on a phone.
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

test('browse, search and download the published directories', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
  await page.goto(server.base + '/');
  await page.click('.mainnav a:text-is("指导目录")');
  await page.waitForSelector('h1:text-is("指导目录")');
  const rows = await page.locator('#directories tbody tr').count();
  assert.equal(rows, 7, 'seven directories');
  assert.match(await page.textContent('#directories'), /不应出具证明事项[\s\S]*20[\s\S]*正式发布清单/);
  await page.screenshot({ path: join(shots, 'directories.png') });

  await page.fill('#q', '居住证明');
  await page.click('button:text-is("检索")');
  await page.waitForSelector('#search-hits');
  assert.equal(await page.textContent('#search-hits tbody tr:first-child td:nth-child(3)'), '居民在社区居住证明');
  await page.screenshot({ path: join(shots, 'directories-search.png') });

  await page.click('#search-hits tbody tr:first-child a');
  await page.waitForSelector('h1:has-text("居民在社区居住证明")');
  assert.match(await page.textContent('#history'), /第 1 版[\s\S]*列入目录/);
  const crumbs = await page.textContent('.crumbs');
  for (const c of ['首页', '指导目录', '可出具证明事项']) assert.ok(crumbs.includes(c), c);
  await page.screenshot({ path: join(shots, 'directory-item.png'), fullPage: true });

  await page.click('.crumbs a:text-is("可出具证明事项")');
  await page.waitForSelector('#items');
  assert.equal(await page.locator('#items tbody tr').count(), 5);
  await page.screenshot({ path: join(shots, 'directory.png') });
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-xlsx')]);
  assert.match(download.suggestedFilename(), /可出具证明事项-第1版\.xlsx|certificate_may_issue-v1\.xlsx/);
  await page.close();
});

test('a directory on a phone screen', async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await page.goto(server.base + '/directories/certificate_must_not_issue');
  await page.waitForSelector('#items');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling on a phone (overflow ${overflow}px)`);
  assert.equal(await page.locator('#items tbody tr').count(), 20);
  await page.screenshot({ path: join(shots, 'directory-phone.png'), fullPage: true });
  await page.close();
});
