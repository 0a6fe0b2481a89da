/** 案件 — a household's cases on its page, and the button that opens a new one. */
import { FileAddOutlined, FileDoneOutlined } from "@ant-design/icons";
import { App, Button, Card, Table, Typography } from "antd";
import { useEffect, useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { dateOf } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { useUser } from "../session/session.tsx";
import { CaseDeadline, CaseStateTag } from "./case-tags.tsx";
import { useCasesText } from "./cases.i18n.ts";
import { type CaseListItem, casesApi } from "./cases-api.ts";
import { OpenCaseModal, type OpenCaseTarget } from "./open-case-modal.tsx";

interface HouseholdCasesProps {
  householdNumber: string;
  headName: string | null;
  /** Changes after every write to the household (a completed case is one). */
  version: number;
  /** False on a past date's view. */
  canOpen: boolean;
}

export function HouseholdCases({
  householdNumber,
  headName,
  version,
  canOpen,
}: HouseholdCasesProps) {
  const c = useCasesText();
  const { t } = useI18n();
  const user = useUser();
  const navigate = useNavigate();
  const { message } = App.useApp();
  const [items, setItems] = useState<CaseListItem[] | null>(null);
  const [target, setTarget] = useState<OpenCaseTarget | undefined>(undefined);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new version re-reads the cases
  useEffect(() => {
    const ctrl = new AbortController();
    casesApi
      .list({ household: householdNumber, status: "all", limit: 50 }, ctrl.signal)
      .then((r) => setItems(r.items))
      .catch(() => !ctrl.signal.aborted && setItems([]));
    return () => ctrl.abort();
  }, [householdNumber, version]);

  const mayOpen = canOpen && user.can.includes("case.open");
  return (
    <Card
      size="small"
      className="page__card"
      data-testid="household-cases"
      title={
        <span>
          <FileDoneOutlined /> {c.householdCases}
        </span>
      }
      extra={
        mayOpen && (
          <Button
            size="small"
            type="primary"
            icon={<FileAddOutlined />}
            onClick={() => setTarget({ householdNumber, headName })}
            data-testid="open-case"
          >
            {c.openCase}
          </Button>
        )
      }
    >
      {items && items.length === 0 ? (
        <Typography.Text type="secondary">{c.noCases}</Typography.Text>
      ) : (
        <Table<CaseListItem>
          rowKey="case"
          size="small"
          pagination={false}
          loading={items === null}
          dataSource={items ?? []}
          columns={[
            {
              title: c.columns.case,
              dataIndex: "case",
              render: (v: string) => (
                <Link to={`/cases/${encodeURIComponent(v)}`} className="mono">
                  {v}
                </Link>
              ),
            },
            {
              title: c.columns.type,
              dataIndex: "type",
              render: (v: string, r) => c.types[v] ?? r.typeName,
            },
            {
              title: c.columns.step,
              key: "state",
              render: (_: unknown, r) => <CaseStateTag item={r} />,
            },
            {
              title: c.columns.deadline,
              key: "deadline",
              render: (_: unknown, r) =>
                r.status === "active" || r.status === "paused" ? (
                  <CaseDeadline date={r.deadline} overdue={r.overdue} />
                ) : (
                  t.common.empty
                ),
            },
            { title: c.columns.openedAt, dataIndex: "openedAt", render: (v: string) => dateOf(v) },
          ]}
        />
      )}
      <OpenCaseModal
        target={target}
        onClose={() => setTarget(undefined)}
        onOpened={(opened) => {
          setTarget(undefined);
          message.success(c.opened(opened.case));
          navigate(`/cases/${encodeURIComponent(opened.case)}`);
        }}
      />
    </Card>
  );
}
