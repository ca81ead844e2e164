"""The audited actions with their Chinese names: the one list the log page filters by and shows."""

from __future__ import annotations

ACTIONS = {
    "login.success": "登录成功",
    "login.failure": "登录失败",
    "password.change": "修改本人密码",
    "user.create": "新建用户",
    "user.update": "修改用户",
    "user.deactivate": "停用用户",
    "user.reactivate": "启用用户",
    "user.reset_password": "重置密码",
    "unit.create": "新增单位",
    "unit.update": "修改单位",
    "unit.move": "调整上级单位",
    "unit.merge": "合并单位",
    "unit.deactivate": "停用单位",
    "unit.reactivate": "启用单位",
    "category.save": "保存分类",
    "kb.add": "新增知识库条目",
    "kb.edit": "修改知识库条目",
    "rules.save": "保存责任分解表",
    "sla.rules": "修改时限规则",
    "calendar.day": "修改工作日历",
    "calendar.import": "导入节假日安排",
    "import.tickets": "导入历史工单",
    "export": "导出",
    "audit.export": "导出审计日志",
    "backup": "备份",
    "retention": "个人信息清理",
    "model": "模型管理",
    "webhook": "修改推送地址",
    "api_key.create": "新建 Open311 客户端密钥",
    "api_key.revoke": "吊销 Open311 客户端密钥",
}


def action_label(action: str) -> str:
    return ACTIONS.get(action, action)
