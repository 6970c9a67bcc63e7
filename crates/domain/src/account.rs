//! Accounts, roles and the rules around them: the three-officer separation (三员分立), the
//! password policy, login lockout and idle limits of a protection-level-3 system (等保2.0 第三级).
//! Pure rules; the store keeps the counters in the database so they hold across app nodes.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::Level;

/// What a person does on the platform. Every role is scoped to a region subtree (and, for
/// department officers, a department).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    CivilAffairs,
    Approver,
    DepartmentOfficer,
    TownshipOfficer,
    VillageWorker,
    Inspector,
    SystemAdmin,
    SecurityAdmin,
    AuditAdmin,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::CivilAffairs,
        Role::Approver,
        Role::DepartmentOfficer,
        Role::TownshipOfficer,
        Role::VillageWorker,
        Role::Inspector,
        Role::SystemAdmin,
        Role::SecurityAdmin,
        Role::AuditAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::CivilAffairs => "civil_affairs",
            Role::Approver => "approver",
            Role::DepartmentOfficer => "department_officer",
            Role::TownshipOfficer => "township_officer",
            Role::VillageWorker => "village_worker",
            Role::Inspector => "inspector",
            Role::SystemAdmin => "system_admin",
            Role::SecurityAdmin => "security_admin",
            Role::AuditAdmin => "audit_admin",
        }
    }

    pub fn parse(raw: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == raw.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::CivilAffairs => "民政部门工作人员",
            Role::Approver => "党委政府审批人员",
            Role::DepartmentOfficer => "职能部门工作人员",
            Role::TownshipOfficer => "街道（乡镇）工作人员",
            Role::VillageWorker => "村（社区）工作人员",
            Role::Inspector => "联合检查组成员",
            Role::SystemAdmin => "系统管理员",
            Role::SecurityAdmin => "安全管理员",
            Role::AuditAdmin => "审计管理员",
        }
    }

    /// The three administrators of 三员分立: none may hold another's role or any business role.
    pub fn is_administrator(self) -> bool {
        matches!(
            self,
            Role::SystemAdmin | Role::SecurityAdmin | Role::AuditAdmin
        )
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl Role {
    /// The levels of region a holder of this role can belong to: a village worker sits in a
    /// village, a township officer in a township, everyone else in a city or district office.
    pub fn fits(self, level: Level) -> bool {
        match self {
            Role::VillageWorker => level == Level::Village,
            Role::TownshipOfficer => level == Level::Township,
            _ => matches!(level, Level::Province | Level::City | Level::County),
        }
    }

    /// Department officers act for a department; nobody else needs one.
    pub fn needs_department(self) -> bool {
        self == Role::DepartmentOfficer
    }
}

/// What a handler needs. Deny by default: a role has only the permissions listed here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Perm {
    /// Open and list accounts (system administrator).
    ManageAccounts,
    /// Assign roles and change security settings (security administrator).
    ManageRoles,
    /// Read, search and export the audit log (audit administrator).
    ReadAudit,
    /// See the units of one's own region subtree (every business role; never an administrator).
    ViewUnits,
    /// Work on directory adjustments: civil affairs drafts, reviews and publishes, the approver
    /// approves (which step is whose is the adjustment procedure's rule).
    HandleAdjustments,
    /// Take part in admissions (准入): departments apply and countersign, civil affairs reviews,
    /// the approver decides (which step is whose is the admission procedure's rule).
    HandleAdmissions,
    /// Send tasks to villages and communities through the dispatch check: a department for its
    /// duties, a township to its own units.
    Dispatch,
    /// Receive tasks at a village or community: accept, refuse or dispute them.
    ReceiveTasks,
    /// Oversee what reaches villages: rule on disputes, keep the violation ledger, draft
    /// notices (通报) and refer violations for accountability (civil affairs).
    Supervise,
    /// Take part in notices: civil affairs drafts and publishes, the approver approves
    /// (which step is whose is the notice procedure's rule).
    HandleNotices,
    /// Keep the holiday calendar the working-day deadlines count by (system administrator).
    ManageCalendar,
    /// Issue certificates at a village or community: request, print, revoke, reissue, keep
    /// the seal-use book (village worker).
    IssueCertificates,
    /// Oversee certificates in one's region: ledger (masked), statistics, reconciliation;
    /// civil affairs of the city or a district also keeps the templates and the rule on
    /// unlisted types (civil affairs, township officers).
    OverseeCertificates,
    /// Record a unit's mechanisms, signs and service centre for the self-check (摸排自查):
    /// the village worker for the own unit, a township officer for its units.
    RecordSignage,
    /// See compliance, clean-up lists and progress in one's region; civil affairs of the city
    /// or a district also keeps the sign rules (civil affairs, township officers, inspectors).
    OverseeSignage,
    /// Run inspections: form joint groups, plan and seal visits, record findings, issue and
    /// verify rectifications (inspectors).
    Inspect,
    /// Report on a rectification of one's unit: the measures taken and the evidence (the
    /// village worker for the own unit, a township officer for its units).
    Rectify,
    /// Follow inspections, rectifications and the campaign in one's region (civil affairs,
    /// approvers, township officers, inspectors).
    FollowCampaign,
}

impl Role {
    pub fn has(self, perm: Perm) -> bool {
        matches!(
            (self, perm),
            (
                Role::SystemAdmin,
                Perm::ManageAccounts | Perm::ManageCalendar
            ) | (Role::SecurityAdmin, Perm::ManageRoles)
                | (Role::AuditAdmin, Perm::ReadAudit)
                | (Role::CivilAffairs | Role::Approver, Perm::HandleAdjustments)
                | (
                    Role::CivilAffairs | Role::Approver | Role::DepartmentOfficer,
                    Perm::HandleAdmissions
                )
                | (
                    Role::DepartmentOfficer | Role::TownshipOfficer,
                    Perm::Dispatch
                )
                | (Role::VillageWorker, Perm::ReceiveTasks)
                | (Role::CivilAffairs, Perm::Supervise)
                | (Role::CivilAffairs | Role::Approver, Perm::HandleNotices)
                | (Role::VillageWorker, Perm::IssueCertificates)
                | (
                    Role::CivilAffairs | Role::TownshipOfficer,
                    Perm::OverseeCertificates
                )
                | (
                    Role::VillageWorker | Role::TownshipOfficer,
                    Perm::RecordSignage
                )
                | (
                    Role::CivilAffairs | Role::TownshipOfficer | Role::Inspector,
                    Perm::OverseeSignage
                )
                | (Role::Inspector, Perm::Inspect)
                | (Role::VillageWorker | Role::TownshipOfficer, Perm::Rectify)
                | (
                    Role::CivilAffairs | Role::Approver | Role::TownshipOfficer | Role::Inspector,
                    Perm::FollowCampaign
                )
        ) || (perm == Perm::ViewUnits && !self.is_administrator())
    }
}

/// Why a set of roles may not be held by one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleConflict {
    Empty,
    TwoAdministrators(Role, Role),
    AdministratorWithBusiness(Role, Role),
}

impl fmt::Display for RoleConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoleConflict::Empty => write!(f, "至少要分配一个角色"),
            RoleConflict::TwoAdministrators(a, b) => {
                write!(f, "三员分立：同一账号不能同时担任{a}和{b}")
            }
            RoleConflict::AdministratorWithBusiness(a, b) => {
                write!(f, "三员分立：{a}不能同时担任业务角色（{b}）")
            }
        }
    }
}

/// Checks a set of roles against the three-officer separation.
pub fn check_roles(roles: &[Role]) -> Result<(), RoleConflict> {
    let admins: Vec<Role> = roles
        .iter()
        .copied()
        .filter(|r| r.is_administrator())
        .collect();
    let business = roles.iter().copied().find(|r| !r.is_administrator());
    match (admins.as_slice(), business) {
        ([], None) => Err(RoleConflict::Empty),
        ([a, b, ..], _) if a != b => Err(RoleConflict::TwoAdministrators(*a, *b)),
        ([a, ..], Some(b)) => Err(RoleConflict::AdministratorWithBusiness(*a, b)),
        _ => Ok(()),
    }
}

/// What the password policy refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort,
    TooFewClasses,
    ContainsUsername,
    Reused,
}

impl fmt::Display for PasswordProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PasswordProblem::TooShort => "密码至少 8 位",
            PasswordProblem::TooFewClasses => {
                "密码须包含大写字母、小写字母、数字、符号中的至少三类"
            }
            PasswordProblem::ContainsUsername => "密码不能包含用户名",
            PasswordProblem::Reused => "不能使用最近 5 次用过的密码",
        })
    }
}

/// Passwords kept for the no-reuse rule.
pub const PASSWORD_HISTORY: usize = 5;
/// Days after which a password must be changed.
pub const PASSWORD_MAX_AGE_DAYS: i64 = 90;

/// Length and character classes; reuse is checked by the caller against stored hashes.
pub fn check_password(password: &str, username: &str) -> Result<(), PasswordProblem> {
    if password.chars().count() < 8 {
        return Err(PasswordProblem::TooShort);
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if classes.iter().filter(|c| **c).count() < 3 {
        return Err(PasswordProblem::TooFewClasses);
    }
    if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        return Err(PasswordProblem::ContainsUsername);
    }
    Ok(())
}

/// Failed logins before an account locks, and for how long.
pub const LOCKOUT_FAILURES: u32 = 5;
pub const LOCKOUT_MINUTES: i64 = 15;

/// The lock state after one more failed login.
pub fn after_failure(failures: u32, now: DateTime<Utc>) -> (u32, Option<DateTime<Utc>>) {
    let failures = failures + 1;
    if failures >= LOCKOUT_FAILURES {
        (0, Some(now + Duration::minutes(LOCKOUT_MINUTES)))
    } else {
        (failures, None)
    }
}

/// How long a session may sit idle: shorter for the administrators.
pub fn idle_limit(roles: &[Role]) -> Duration {
    if roles.iter().any(|r| r.is_administrator()) {
        Duration::minutes(15)
    } else {
        Duration::minutes(30)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn three_officer_separation() {
        use Role::*;
        assert!(check_roles(&[SystemAdmin]).is_ok());
        assert!(check_roles(&[CivilAffairs, Inspector]).is_ok());
        assert_eq!(check_roles(&[]), Err(RoleConflict::Empty));
        assert_eq!(
            check_roles(&[SystemAdmin, AuditAdmin]),
            Err(RoleConflict::TwoAdministrators(SystemAdmin, AuditAdmin))
        );
        let e = check_roles(&[SecurityAdmin, VillageWorker]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "三员分立：安全管理员不能同时担任业务角色（村（社区）工作人员）"
        );
    }

    #[test]
    fn roles_fit_their_levels() {
        assert!(Role::VillageWorker.fits(Level::Village));
        assert!(!Role::VillageWorker.fits(Level::Township));
        assert!(Role::TownshipOfficer.fits(Level::Township));
        assert!(Role::CivilAffairs.fits(Level::Province));
        assert!(Role::CivilAffairs.fits(Level::County));
        assert!(!Role::AuditAdmin.fits(Level::Village));
        assert!(Role::DepartmentOfficer.needs_department());
        assert!(!Role::Inspector.needs_department());
    }

    #[test]
    fn password_policy() {
        assert_eq!(check_password("Ab1!", "u"), Err(PasswordProblem::TooShort));
        assert_eq!(
            check_password("abcdefgh1", "u"),
            Err(PasswordProblem::TooFewClasses)
        );
        assert_eq!(
            check_password("Zhang3-san!", "zhang3"),
            Err(PasswordProblem::ContainsUsername)
        );
        assert!(check_password("Tianjin-2023", "wang").is_ok());
        assert!(
            check_password("天津减负2023ab", "wang").is_ok(),
            "CJK counts as a symbol class"
        );
    }

    #[test]
    fn lockout_after_five_failures() {
        let now = Utc::now();
        let mut failures = 0;
        for _ in 0..4 {
            let (f, locked) = after_failure(failures, now);
            assert!(locked.is_none());
            failures = f;
        }
        let (f, locked) = after_failure(failures, now);
        assert_eq!(f, 0);
        assert_eq!(locked, Some(now + Duration::minutes(15)));
    }

    proptest! {
        /// Any accepted set of roles has at most one administrator, and an administrator alone.
        #[test]
        fn accepted_role_sets_respect_separation(mask in 0u16..512) {
            let roles: Vec<Role> = Role::ALL.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, r)| *r).collect();
            let admins = roles.iter().filter(|r| r.is_administrator()).count();
            let ok = check_roles(&roles).is_ok();
            prop_assert_eq!(ok, !roles.is_empty() && (admins == 0 || roles.len() == 1));
        }
    }
}
