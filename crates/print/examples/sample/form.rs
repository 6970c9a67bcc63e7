//! A made-up approval form for the tests and the example. The includer brings `ApprovalForm`
//! and `FormStep` into scope (from `crate` in the tests, from `jianfu_print` in the example).

use super::{ApprovalForm, FormStep};

fn step(step: &str, body: &str, signer: &str, opinion: &str, at: &str) -> FormStep {
    FormStep {
        step: step.into(),
        body: body.into(),
        signer: signer.into(),
        opinion: opinion.into(),
        at: at.into(),
    }
}

/// Application 17 of 和平区民政局 with `steps` steps (at least the five of a normal approval:
/// 申请, two 会签, 初审, 审批); beyond those, rounds of 退回 and 重新提交 come before the 审批.
pub fn approval_form(steps: usize) -> ApprovalForm {
    let mut procedure = vec![
        step("申请", "和平区民政局", "王海燕", "", "2026-11-20 09:12"),
        step(
            "会签",
            "和平区卫生健康委员会",
            "李建国",
            "同意。入户时请同步宣传家庭医生签约服务。",
            "2026-11-21 14:05",
        ),
        step(
            "会签",
            "和平区财政局",
            "赵敏",
            "同意，经费从区民政局 2027 年度预算中列支。",
            "2026-11-22 10:40",
        ),
        step(
            "初审",
            "和平区社区减负工作专班",
            "陈立新",
            "符合准入条件，工作量测算合理，建议提交区委区政府审批。",
            "2026-11-25 16:20",
        ),
    ];
    let mut round = 0;
    while procedure.len() + 1 < steps {
        round += 1;
        let at = |hour: usize| {
            format!(
                "2026-11-{:02} {:02}:{:02}",
                26 + round % 3,
                hour,
                round % 60
            )
        };
        if procedure.len() % 2 == 0 {
            procedure.push(step(
                "退回",
                "和平区委区政府",
                "张志强",
                &format!(
                    "第 {round} 次退回：请补充各街道工作量测算依据，并说明与已入户的“社区养老服务需求摸底”是否重复。"
                ),
                &at(9),
            ));
        } else {
            procedure.push(step(
                "重新提交",
                "和平区民政局",
                "王海燕",
                "已补充测算依据，与原摸底工作合并开展。",
                &at(15),
            ));
        }
    }
    if steps >= 5 {
        procedure.push(step(
            "审批",
            "和平区委区政府",
            "张志强",
            "同意准入。",
            "2026-12-02 10:31",
        ));
    }
    procedure.truncate(steps);
    ApprovalForm {
        task_code: "ZR-120101-2026-001".into(),
        application_id: 17,
        level: "天津市和平区".into(),
        title: "2027 年度老年人居家养老服务需求入户调查".into(),
        department: "和平区民政局".into(),
        co_departments: vec!["和平区卫生健康委员会".into(), "和平区财政局".into()],
        content: "由社区工作者会同网格员对辖区 60 周岁以上独居、空巢老年人逐户入户，填写《居家养老服务需求调查表》，在“津心办”平台录入结果，不另行报送纸质材料。".into(),
        basis: "《天津市居家养老服务条例》第十二条；《关于进一步减轻村（社区）负担的若干措施》（津党办发〔2024〕5号）".into(),
        scope: "和平区全部社区；劝业场街道花园路社区".into(),
        period: "2027-01-15 至 2027-03-15".into(),
        workload: "每个村（社区）约 2 小时".into(),
        support: "区民政局按每户 20 元拨付调查经费，提供平板电脑和调查表印制。".into(),
        permanent: false,
        steps: procedure,
        status: "有效".into(),
        digest: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
    }
}
