// Journey (the certificates issue): a community worker, on a phone, issues 居民在社区居住证明 and
// prints the PDF; is refused 无犯罪记录证明 with the guidance to hand to the resident; a verifier
// without an account opens the QR code's address and sees the certificate valid; after the
// worker revokes it, the verifier sees it revoked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startServer, startBrowser, shots } from './harness.mjs';

const PASSWORD = 'Zhengming-2026';
let server;
let browser;

before(async () => {
  server = await startServer({
    users: [{ username: 'sq.wang', role: 'village_worker', region: '120101001001', password: PASSWORD }],
  });
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

test('a community issues and prints a certificate, is refused a must-not one, and a verifier checks it before and after revocation', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(server.base + '/login');
  await page.fill('input[name=username]', 'sq.wang');
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button:has-text("登录")');
  await page.waitForURL(/\/account\/password$/);
  await page.fill('input[name=current]', PASSWORD);
  await page.fill('input[name=new_password]', `${PASSWORD}-new`);
  await page.fill('input[name=confirm]', `${PASSWORD}-new`);
  await page.click('button:has-text("保存")');
  await page.waitForSelector('text=密码已修改');

  await page.goto(server.base + '/certificates');
  await page.selectOption('#type_code', 'KC-001');
  await page.fill('input[name=demanding_agency]', '和平区某小学');
  await page.fill('input[name=purpose]', '子女入学');
  await page.fill('input[name=applicant_name]', '张三');
  // A typo in the identity number is named before anything is issued.
  await page.fill('input[name=id_number]', '120101199001011238');
  await page.fill('textarea[name=details]', '自2020年起居住在本社区幸福里3号楼');
  await page.click('button:has-text("开具证明")');
  await page.waitForSelector('#errors');
  assert.match(await page.textContent('#errors'), /校验码不符/);
  await page.fill('input[name=id_number]', '120101199001011239');
  await page.click('button:has-text("开具证明")');
  await page.waitForURL(/\/certificates\/120101001001-\d{4}-000001/);
  assert.match(await page.textContent('#status'), /有效/);
  assert.match(await page.textContent('#id-number'), /120101\*{8}1239/);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 391, `no sideways scrolling on a phone (${width})`);
  await page.screenshot({ path: join(shots, 'certificate-issued-phone.png'), fullPage: true });

  // The printout: an A4 PDF.
  const pdfHref = await page.getAttribute('#print-pdf', 'href');
  const pdf = await page.request.get(server.base + pdfHref);
  assert.equal(pdf.status(), 200);
  assert.equal(pdf.headers()['content-type'], 'application/pdf');
  assert.equal((await pdf.body()).subarray(0, 4).toString(), '%PDF');
  const verifyUrl = await page.getAttribute('#verify-link', 'href');
  assert.ok(verifyUrl.startsWith(server.base + '/verify/'), verifyUrl);

  // A must-not type: refused with where the resident should go instead.
  await page.goto(server.base + '/certificates');
  await page.selectOption('#type_code', 'BC-005');
  await page.fill('input[name=demanding_agency]', '某物业公司');
  await page.fill('input[name=purpose]', '应聘');
  await page.click('button:has-text("开具证明")');
  await page.waitForSelector('#refusal');
  const refusal = await page.textContent('#refusal');
  assert.match(refusal, /不予出具/);
  assert.match(refusal, /公安机关/);
  await page.locator('#refusal').screenshot({ path: join(shots, 'certificate-refused.png') });

  // A verifier without an account scans the QR code.
  const verifier = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
  const scan = await verifier.newPage();
  await scan.goto(verifyUrl);
  assert.match(await scan.textContent('#verdict'), /证明真实有效/);
  const answers = await scan.textContent('#answers');
  assert.match(answers, /居民在社区居住证明/);
  assert.match(answers, /张\*/);
  assert.doesNotMatch(answers, /1239|张三/);
  await scan.screenshot({ path: join(shots, 'verify-valid.png'), fullPage: true });

  // The worker revokes it; the verifier now sees it revoked.
  await page.goto(server.base + pdfHref.replace(/\/pdf$/, ''));
  await page.fill('#revoke-form input[name=reason]', '申请人提供的地址有误');
  await page.click('#revoke-form button');
  await page.waitForSelector('text=证明已撤销');
  await scan.reload();
  assert.match(await scan.textContent('#verdict'), /已被开具单位撤销/);
  await scan.screenshot({ path: join(shots, 'verify-revoked.png'), fullPage: true });
  await verifier.close();
  await context.close();
});
