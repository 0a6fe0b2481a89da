/** 政策参数: every parameter with the value in force and, for editors, the draft's value. */
import { UndoOutlined } from "@ant-design/icons";
import { Button, Input, InputNumber, Switch, Table, Tag, Tooltip, Typography } from "antd";
import type { ColumnsType } from "antd/es/table/index.js";
import { useI18n } from "../i18n/i18n.tsx";
import type { ParamValue, Policy } from "../monitoring/monitoring-api.ts";

interface Row {
  name: string;
  value: ParamValue;
}

interface ParametersTableProps {
  policy: Policy;
  draft: Record<string, ParamValue>;
  editable: boolean;
  onChange(name: string, value: ParamValue | null): void;
}

function formatValue(v: ParamValue, t: ReturnType<typeof useI18n>["t"]): string {
  if (typeof v === "boolean") return v ? t.common.yes : t.common.no;
  if (typeof v === "number") return v.toLocaleString("zh-CN", { maximumFractionDigits: 4 });
  return v;
}

export function ParametersTable({ policy, draft, editable, onChange }: ParametersTableProps) {
  const { t } = useI18n();
  const rows: Row[] = Object.entries(policy.parameters).map(([name, value]) => ({ name, value }));

  const editor = (row: Row) => {
    const current = row.name in draft ? draft[row.name]! : row.value;
    const testId = `param-${row.name}`;
    if (typeof row.value === "boolean") {
      return (
        <Switch
          checked={current === true}
          onChange={(v) => onChange(row.name, v)}
          data-testid={testId}
        />
      );
    }
    if (typeof row.value === "number") {
      return (
        <InputNumber<number>
          value={typeof current === "number" ? current : null}
          onChange={(v) => onChange(row.name, v)}
          step={!Number.isInteger(row.value) ? 0.1 : Math.abs(row.value) >= 1000 ? 100 : 1}
          style={{ width: 160 }}
          data-testid={testId}
        />
      );
    }
    return (
      <Input
        value={String(current)}
        onChange={(e) => onChange(row.name, e.target.value)}
        style={{ width: 160 }}
        data-testid={testId}
      />
    );
  };

  const columns: ColumnsType<Row> = [
    {
      title: t.policy.parameter,
      dataIndex: "name",
      render: (name: string) => (
        <div>
          <div>{t.policy.parameterLabels[name] ?? name}</div>
          <Typography.Text type="secondary" className="mono param-key">
            policy.{name}
          </Typography.Text>
        </div>
      ),
    },
    {
      title: t.policy.current,
      dataIndex: "value",
      width: 140,
      align: "right",
      render: (v: ParamValue) => <span className="num">{formatValue(v, t)}</span>,
    },
    ...(editable
      ? [
          {
            title: t.policy.draftValue,
            key: "draft",
            width: 260,
            render: (_: unknown, row: Row) => (
              <div className="param-edit">
                {editor(row)}
                {row.name in draft && (
                  <>
                    <Tag color="gold">{t.policy.changed}</Tag>
                    <Tooltip title={t.policy.restore}>
                      <Button
                        size="small"
                        type="text"
                        icon={<UndoOutlined />}
                        onClick={() => onChange(row.name, null)}
                        aria-label={t.policy.restore}
                      />
                    </Tooltip>
                  </>
                )}
              </div>
            ),
          },
        ]
      : []),
  ];

  return (
    <Table<Row>
      rowKey="name"
      size="small"
      columns={columns}
      dataSource={rows}
      pagination={false}
      rowClassName={(row) => (row.name in draft ? "row--changed" : "")}
      data-testid="parameters"
    />
  );
}
