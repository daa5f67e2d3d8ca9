"""The words of the key-project rhythm: milestones, problem categories and states, visit
kinds, an official's part in a project, and the ranking's criteria — each with the
Chinese name the dispatch office (重点项目办) uses."""

from __future__ import annotations

from enum import StrEnum


class Milestone(StrEnum):
    """A milestone a key project's plan sets a date for, in the order a project reaches
    them."""

    SIGNING = "signing"  # 签约
    LAND_SUPPLY = "land_supply"  # 供地
    CONSTRUCTION_START = "construction_start"  # 开工
    STRUCTURE_COMPLETE = "structure_complete"  # 主体完工
    EQUIPMENT_INSTALLED = "equipment_installed"  # 设备安装
    PRODUCTION_START = "production_start"  # 投产
    FULL_PRODUCTION = "full_production"  # 达产


MILESTONE_NAMES_ZH: dict[str, str] = {
    Milestone.SIGNING: "签约",
    Milestone.LAND_SUPPLY: "供地",
    Milestone.CONSTRUCTION_START: "开工",
    Milestone.STRUCTURE_COMPLETE: "主体完工",
    Milestone.EQUIPMENT_INSTALLED: "设备安装",
    Milestone.PRODUCTION_START: "投产",
    Milestone.FULL_PRODUCTION: "达产",
}

#: Milestones in the order a project reaches them.
MILESTONE_ORDER: tuple[str, ...] = tuple(Milestone)


class ProblemCategory(StrEnum):
    """What a problem (问题清单) is about."""

    LAND = "land"  # 用地
    PLANNING_APPROVAL = "planning_approval"  # 规划审批
    FINANCING = "financing"  # 融资
    POWER_WATER = "power_water"  # 水电气
    LABOUR = "labour"  # 用工
    OTHER = "other"  # 其他


PROBLEM_CATEGORY_NAMES_ZH: dict[str, str] = {
    ProblemCategory.LAND: "用地",
    ProblemCategory.PLANNING_APPROVAL: "规划审批",
    ProblemCategory.FINANCING: "融资",
    ProblemCategory.POWER_WATER: "水电气",
    ProblemCategory.LABOUR: "用工",
    ProblemCategory.OTHER: "其他",
}


class ProblemStatus(StrEnum):
    """Where a problem stands."""

    OPEN = "open"  # 待解决
    IN_PROGRESS = "in_progress"  # 推进中
    SOLVED = "solved"  # 已解决


PROBLEM_STATUS_NAMES_ZH: dict[str, str] = {
    ProblemStatus.OPEN: "待解决",
    ProblemStatus.IN_PROGRESS: "推进中",
    ProblemStatus.SOLVED: "已解决",
}


class VisitKind(StrEnum):
    """What brought officials to a project's site."""

    WEEKLY = "weekly"  # 周观摩
    INSPECTION = "inspection"  # 专项督查


VISIT_KIND_NAMES_ZH: dict[str, str] = {
    VisitKind.WEEKLY: "周观摩",
    VisitKind.INSPECTION: "专项督查",
}


class AssignmentRole(StrEnum):
    """An official's part in a project (干部包抓重点项目)."""

    LEAD = "lead"  # 牵头包抓
    MEMBER = "member"  # 配合


ASSIGNMENT_ROLE_NAMES_ZH: dict[str, str] = {
    AssignmentRole.LEAD: "牵头包抓",
    AssignmentRole.MEMBER: "配合",
}


class Criterion(StrEnum):
    """A criterion of the quarterly ranking (季评比)."""

    INVESTMENT = "investment"  # 投资完成率
    MILESTONES = "milestones"  # 节点按期
    PROBLEMS = "problems"  # 问题按期解决
    VISITS = "visits"  # 观摩评分


CRITERION_NAMES_ZH: dict[str, str] = {
    Criterion.INVESTMENT: "投资完成率",
    Criterion.MILESTONES: "节点按期完成",
    Criterion.PROBLEMS: "问题按期解决",
    Criterion.VISITS: "观摩评分",
}
