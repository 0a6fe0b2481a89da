/** 家庭成员 — the members, active first; a row expands to every member field. */
import { DownOutlined } from "@ant-design/icons";
import { Button, Descriptions, Dropdown, Space, Table, Tag, Tooltip, Typography } from "antd";
import type { ColumnsType } from "antd/es/table/index.js";
import { MEMBER_FIELDS } from "../../../src/core/registry-fields.ts";
import { HEAD_RELATIONSHIP, MEMBER_REMOVAL_REASONS } from "../../../src/core/vocab.ts";
import type { MemberView } from "../api/types.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { fieldLabel, formatValue, memberDef, vocabLabel } from "./fields.ts";

interface MembersTableProps {
  members: MemberView[];
  canEdit: boolean;
  onEdit(member: MemberView): void;
  onRemove(member: MemberView): void;
  onMakeHead(member: MemberView): void;
}

export function MembersTable({
  members,
  canEdit,
  onEdit,
  onRemove,
  onMakeHead,
}: MembersTableProps) {
  const { t, fieldLang } = useI18n();
  const text = (key: string, m: MemberView) =>
    formatValue(memberDef(key), (m as unknown as Record<string, unknown>)[key], fieldLang, t) ||
    t.common.empty;
  const label = (key: string) => fieldLabel(memberDef(key), fieldLang);

  const medical = (m: MemberView) => {
    const schemes = [
      m.insResidentMedical ? t.members.medicalResident : null,
      m.insEmployeeMedical ? t.members.medicalEmployee : null,
    ].filter(Boolean);
    if (schemes.length > 0) return schemes.join(fieldLang === "en" ? ", " : "、");
    if (m.insResidentMedical === false && m.insEmployeeMedical === false)
      return <Tag color="red">{t.members.medicalNone}</Tag>;
    return t.common.empty;
  };

  const columns: ColumnsType<MemberView> = [
    {
      title: label("name"),
      dataIndex: "name",
      fixed: "left",
      render: (_, m) => <strong>{m.name}</strong>,
    },
    {
      title: label("idNumber"),
      dataIndex: "idNumber",
      render: (_, m) => (
        <span className="mono" data-testid="member-id-number">
          {m.idNumber}
        </span>
      ),
    },
    { title: label("sex"), dataIndex: "sex", render: (_, m) => text("sex", m) },
    {
      title: t.members.birth,
      dataIndex: "birthDate",
      render: (_, m) => (
        <span>
          {m.birthDate ?? t.common.empty}
          {m.age !== null && (
            <Typography.Text type="secondary">（{t.members.age(m.age)}）</Typography.Text>
          )}
        </span>
      ),
    },
    {
      title: label("relationship"),
      dataIndex: "relationship",
      render: (_, m) => text("relationship", m),
    },
    {
      title: label("health"),
      dataIndex: "health",
      render: (_, m) => text("health", m),
    },
    {
      title: label("laborSkill"),
      dataIndex: "laborSkill",
      render: (_, m) => text("laborSkill", m),
    },
    {
      title: label("education"),
      dataIndex: "education",
      render: (_, m) => text("education", m),
    },
    {
      title: label("schoolStatus"),
      dataIndex: "schoolStatus",
      render: (_, m) => text("schoolStatus", m),
    },
    { title: t.members.medical, key: "medical", render: (_, m) => medical(m) },
    {
      title: t.members.status,
      dataIndex: "status",
      render: (_, m) =>
        m.status === "active" ? (
          <Tag color="green">{t.members.active}</Tag>
        ) : (
          <Tooltip
            title={[t.members.removed, m.removedOn ? t.members.removedOn(m.removedOn) : null]
              .filter(Boolean)
              .join(" · ")}
          >
            <Tag>
              {m.removedReason
                ? vocabLabel(MEMBER_REMOVAL_REASONS, m.removedReason, fieldLang)
                : t.members.removed}
            </Tag>
          </Tooltip>
        ),
    },
  ];
  if (canEdit) {
    columns.push({
      title: t.members.actions,
      key: "actions",
      fixed: "right",
      render: (_, m) =>
        m.status === "active" ? (
          <Space size={0}>
            <Button
              type="link"
              size="small"
              onClick={() => onEdit(m)}
              data-testid={`edit-member-${m.id}`}
            >
              {t.members.edit}
            </Button>
            <Dropdown
              trigger={["click"]}
              menu={{
                items: [
                  ...(m.relationship === HEAD_RELATIONSHIP
                    ? []
                    : [{ key: "head", label: t.members.makeHead }]),
                  { key: "remove", label: t.members.remove, danger: true },
                ],
                onClick: ({ key }) => (key === "head" ? onMakeHead(m) : onRemove(m)),
              }}
            >
              <Button type="link" size="small">
                {t.members.more} <DownOutlined />
              </Button>
            </Dropdown>
          </Space>
        ) : null,
    });
  }

  const sorted = [...members].sort((a, b) =>
    a.status === b.status ? a.position - b.position : a.status === "active" ? -1 : 1,
  );

  return (
    <Table<MemberView>
      rowKey="id"
      size="small"
      bordered
      columns={columns}
      dataSource={sorted}
      pagination={false}
      scroll={{ x: "max-content" }}
      rowClassName={(m) => (m.status === "removed" ? "member--removed" : "")}
      expandable={{
        expandedRowRender: (m) => (
          <Descriptions
            size="small"
            column={{ xs: 1, md: 2, xl: 3 }}
            items={MEMBER_FIELDS.map((d) => ({
              key: d.key,
              label: fieldLabel(d, fieldLang),
              children: text(d.key, m),
            }))}
          />
        ),
      }}
    />
  );
}
