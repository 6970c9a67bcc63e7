// Journey: three roles log in and each sees only its own unit; the system administrator changes
// the one-time password, manages accounts and disables/re-enables one; the security
// administrator is told why a role combination is refused; a township officer opens 单位概况
// and is refused a unit outside its subtree; the audit administrator reads the log; a village
// worker uses a phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createHmac } from 'node:crypto';
import { startServer, startBrowser, shots } from './harness.mjs';

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

/** The administrator's second factor: add the shown secret, type the code. */
async function enrollSecondFactor(page) {
  await page.goto(server.base + '/me');
  await page.waitForURL(/\/account\/totp$/);
  const secret = (await page.textContent('#totp-secret')).trim();
  await page.fill('input[name=code]', totp(secret));
  await page.click('button:has-text("启用")');
  await page.waitForURL(/\/me$/);
  return secret;
}

const PASSWORD = 'Quanyechang-1';
let server;
let browser;

before(async () => {
  server = await startServer({
    users: [
      { username: 'jd.qian', role: 'township_officer', region: '120101001', password: PASSWORD },
      { username: 'sq.zhao', role: 'village_worker', region: '120101001001', password: PASSWORD },
    ],
  });
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

async function login(page, username, password) {
  await page.goto(server.base + '/login');
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await page.click('button:has-text("登录")');
}

async function changePassword(page, from, to) {
  await page.fill('input[name=current]', from);
  await page.fill('input[name=new_password]', to);
  await page.fill('input[name=confirm]', to);
  await page.click('button:has-text("保存")');
  await page.waitForSelector('text=密码已修改');
}

test('the system administrator replaces the one-time password and manages accounts', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  assert.ok(server.admins.sysadmin, 'the first start printed the one-time passwords');
  await page.goto(server.base + '/login');
  await page.screenshot({ path: join(shots, 'login.png') });
  await login(page, 'sysadmin', 'wrong-Password-1');
  await page.waitForSelector('.alert:has-text("用户名、密码或动态口令不正确")');
  await login(page, 'sysadmin', server.admins.sysadmin);
  await page.waitForSelector('text=首次登录须修改一次性密码');
  await changePassword(page, server.admins.sysadmin, 'Xitong-Guanli-2026');
  await page.goto(server.base + '/me');
  await page.waitForURL(/\/account\/totp$/);
  await page.screenshot({ path: join(shots, 'totp.png') });
  const secret = (await page.textContent('#totp-secret')).trim();
  await page.fill('input[name=code]', totp(secret));
  await page.click('button:has-text("启用")');
  await page.waitForURL(/\/me$/);
  await page.click('nav >> text=账号管理');
  await page.waitForSelector('td:text-is("jd.qian")');
  assert.ok(await page.isVisible('td:text-is("sq.zhao")'));
  assert.equal(await page.isVisible('nav >> text=审计日志'), false, 'no audit menu for the system administrator');
  await page.screenshot({ path: join(shots, 'admin-accounts.png') });
  // Disable and re-enable an account from its row.
  const row = page.locator('tr', { has: page.locator('td:text-is("jd.qian")') });
  await row.locator('button:has-text("停用")').click();
  await page.waitForSelector('.ok:has-text("已停用账号 jd.qian")');
  await page.screenshot({ path: join(shots, 'admin-account-disabled.png') });
  await page.locator('tr', { has: page.locator('td:text-is("jd.qian")') }).locator('button:has-text("启用")').click();
  await page.waitForSelector('.ok:has-text("已启用账号 jd.qian")');
  // The holiday calendar the working-day deadlines count by.
  await page.click('nav >> text=节假日安排');
  await page.selectOption('select[name=year]', '2026');
  await page.click('button:text-is("查看")');
  await page.waitForSelector('#days td:text-is("2026-10-10")');
  assert.match(await page.textContent('#days'), /2026-10-01[\s\S]*放假[\s\S]*国庆节/);
  await page.screenshot({ path: join(shots, 'admin-calendar.png'), fullPage: true });
  await page.goto(server.base + '/admin/audit');
  await page.waitForSelector('text=没有权限执行此操作');
  await page.close();
});

test('the security administrator assigns roles and is told why a combination is refused', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  await login(page, 'secadmin', server.admins.secadmin);
  await changePassword(page, server.admins.secadmin, 'Anquan-Guanli-2026');
  await enrollSecondFactor(page);
  await page.click('nav >> text=角色权限');
  const row = page.locator('tr', { has: page.locator('td:text-is("sq.zhao")') });
  await row.locator('label:has-text("审计管理员") input').check();
  await row.locator('button:has-text("保存")').click();
  await page.waitForSelector('.alert:has-text("三员分立")');
  await page.screenshot({ path: join(shots, 'admin-roles.png') });
  await page.close();
});

test('a township officer sees its own subdistrict only', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  await login(page, 'jd.qian', PASSWORD);
  await page.waitForURL(/\/account\/password$/);
  await changePassword(page, PASSWORD, 'Jiedao-Qian-2026');
  await page.goto(server.base + '/me');
  const unit = await page.textContent('.facts');
  assert.match(unit, /天津市 › 市辖区 › 和平区 › 劝业场街道/);
  assert.match(unit, /街道（乡镇）工作人员/);
  for (const admin of ['账号管理', '角色权限', '审计日志']) {
    assert.equal(await page.isVisible(`nav >> text=${admin}`), false, admin);
  }
  await page.screenshot({ path: join(shots, 'workbench.png') });
  // 单位概况: its own subdistrict and the communities below it, nothing beside it.
  await page.click('a:has-text("本单位概况")');
  await page.waitForURL(/\/units\/120101001000$/);
  await page.click('td a:has-text("花园路社区居委会")');
  await page.waitForSelector('td:text-is("sq.zhao")');
  await page.screenshot({ path: join(shots, 'unit.png') });
  const other = await page.goto(server.base + '/units/120101002');
  assert.equal(other.status(), 403);
  await page.waitForSelector('text=不在您的管辖范围内');
  await page.goto(server.base + '/me');
  await page.click('.logout button');
  await page.waitForSelector('a.login');
  await page.close();
});

test('a village worker on a phone, and the audit administrator reading the log', async () => {
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await login(phone, 'sq.zhao', PASSWORD);
  await phone.waitForURL(/\/account\/password$/);
  await changePassword(phone, PASSWORD, 'Shequ-Zhao-2026');
  await phone.goto(server.base + '/me');
  assert.match(await phone.textContent('.facts'), /花园路社区居委会/);
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling (overflow ${overflow}px)`);
  await phone.screenshot({ path: join(shots, 'workbench-phone.png'), fullPage: true });
  await phone.click('a:has-text("本单位概况")');
  await phone.waitForSelector('h1:has-text("花园路社区居委会")');
  const unitOverflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(unitOverflow <= 0, `unit page: no sideways scrolling (overflow ${unitOverflow}px)`);
  await phone.close();

  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  await login(page, 'auditadmin', server.admins.auditadmin);
  await changePassword(page, server.admins.auditadmin, 'Shenji-Guanli-2026');
  await enrollSecondFactor(page);
  await page.click('nav >> text=审计日志');
  await page.fill('input[name=event]', 'auth.login');
  await page.click('button:has-text("查询")');
  await page.waitForSelector('td:text-is("sq.zhao")');
  assert.ok(await page.isVisible('td:text-is("失败")'), 'the failed login of the first journey is recorded');
  await page.screenshot({ path: join(shots, 'audit.png') });
  await page.close();
});
