/**
 * 预警信息 and 核实任务 — the signals of the chosen region: counts by region and rule, filters,
 * evidence in an expandable row, bulk assignment of verifications to a town or village, and
 * the outcome of a visit. The task view shows only signals that ask for a visit.
 */
import { FileAddOutlined, FormOutlined, SendOutlined } from "@ant-design/icons";
import {
  App,
  Breadcrumb,
  Button,
  Card,
  Checkbox,
  Empty,
  InputNumber,
  Segmented,
  Select,
  Space,
  Table,
  Typography,
} from "antd";
import type { ColumnsType } from "antd/es/table/index.js";
import { useCallback, useEffect, useMemo, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import { api } from "../api/client.ts";
import type { RegionPathItem } from "../api/types.ts";
import { useCasesText } from "../cases/cases.i18n.ts";
import { OpenCaseModal, type OpenCaseTarget } from "../cases/open-case-modal.tsx";
import { useApiError } from "../components/use-api-error.tsx";
import { dateOf } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { AssignModal } from "../monitoring/assign-modal.tsx";
import { IncomeCloseButton } from "../monitoring/income-close-button.tsx";
import { useMonitoringText } from "../monitoring/monitoring.i18n.ts";
import {
  monitoringApi,
  type Signal,
  type SignalQuery,
  type SignalSort,
  type SignalSummary,
} from "../monitoring/monitoring-api.ts";
import { OutcomeModal } from "../monitoring/outcome-modal.tsx";
import { SignalDetail } from "../monitoring/signal-detail.tsx";
import { SignalSummaryCards } from "../monitoring/signal-summary.tsx";
import {
  Deadline,
  SeverityTag,
  SignalCategoryTag,
  VerificationStatus,
} from "../monitoring/signal-tags.tsx";
import { SweepButton } from "../monitoring/sweep-button.tsx";
import { rootRegionOf, useUser } from "../session/session.tsx";

const PAGE_SIZE = 50;
/** The task view filters signals in the browser: it reads larger pages, and more until this many. */
const TASK_PAGE = 200;
const TASK_MIN_ROWS = 30;
const CATEGORY_CODES = [
  "income",
  "education",
  "medical",
  "housing",
  "water",
  "food_clothing",
  "expense",
  "labor",
  "data_quality",
  "eligibility",
  "assistance",
];

type TaskFilter = "open" | "done" | "all";
const SORTS: SignalSort[] = ["opened", "severity", "deadline"];

export function SignalsPage({ mode }: { mode: "signals" | "tasks" }) {
  const { t } = useI18n();
  const user = useUser();
  const { message } = App.useApp();
  const showError = useApiError();
  const [params, setParams] = useSearchParams();
  const root = rootRegionOf(user);
  const region = params.get("region") ?? root;
  const rule = params.get("rule") ?? undefined;
  const category = params.get("category") ?? undefined;
  const severity = params.get("severity") ?? undefined;
  const overdue = params.get("overdue") === "true";
  const olderParam = params.get("older");
  const olderThanDays = olderParam ? Number(olderParam) : undefined;
  const status = params.get("status") === "resolved" ? "resolved" : "open";
  const sortParam = params.get("sort") as SignalSort | null;
  const sort: SignalSort = sortParam && SORTS.includes(sortParam) ? sortParam : "opened";
  const mtext = useMonitoringText();
  const taskFilter = (params.get("task") as TaskFilter | null) ?? "open";
  const tasks = mode === "tasks";

  const [summary, setSummary] = useState<SignalSummary | null>(null);
  const [path, setPath] = useState<RegionPathItem[]>([]);
  const [items, setItems] = useState<Signal[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [loadingMore, setLoadingMore] = useState(false);
  const [selected, setSelected] = useState<number[]>([]);
  const [assigning, setAssigning] = useState(false);
  const [recording, setRecording] = useState<Signal | undefined>(undefined);
  const [opening, setOpening] = useState<OpenCaseTarget | undefined>(undefined);
  const casesText = useCasesText();
  const navigate = useNavigate();
  const [tick, setTick] = useState(0);

  const canAssign = user.can.includes("verification.assign");
  const canRecord = user.can.includes("verification.record");
  const canSweep = user.can.includes("monitoring.sweep");
  const canCloseYear = user.can.includes("income.close");
  const canOpenCase = canRecord && user.can.includes("case.open");

  const query = useCallback(
    (after?: string): SignalQuery => ({
      region,
      rule,
      category,
      severity,
      status: tasks ? "open" : status,
      overdue: overdue ? "true" : undefined,
      olderThanDays,
      sort: sort === "opened" ? undefined : sort,
      limit: tasks ? TASK_PAGE : PAGE_SIZE,
      after,
    }),
    [region, rule, category, severity, status, overdue, olderThanDays, sort, tasks],
  );

  /** In the task view, only signals with a task, in the chosen state. */
  const keep = useCallback(
    (s: Signal) =>
      !tasks ||
      (s.verification !== null &&
        (taskFilter === "all" ||
          (taskFilter === "open"
            ? s.verification.status === "open"
            : s.verification.status === "done"))),
    [tasks, taskFilter],
  );

  /** One page of rows; the task view reads on until it has enough or the list ends. */
  const fetchRows = useCallback(
    async (after: string | undefined, signal?: AbortSignal) => {
      let rows: Signal[] = [];
      let cursor = after;
      for (let round = 0; round < 10; round++) {
        const page = await monitoringApi.signals(query(cursor), signal);
        rows = rows.concat(page.items.filter(keep));
        cursor = page.next ?? undefined;
        if (!tasks || !page.next || rows.length >= TASK_MIN_ROWS) break;
      }
      return { rows, next: cursor ?? null };
    },
    [query, keep, tasks],
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new tick asks for a reload
  useEffect(() => {
    const ctrl = new AbortController();
    setLoading(true);
    setSelected([]);
    fetchRows(undefined, ctrl.signal)
      .then((r) => {
        setItems(r.rows);
        setNext(r.next);
      })
      .catch((e: unknown) => {
        showError(e);
        if (!ctrl.signal.aborted) {
          setItems([]);
          setNext(null);
        }
      })
      .finally(() => !ctrl.signal.aborted && setLoading(false));
    return () => ctrl.abort();
  }, [fetchRows, showError, tick]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new tick asks for a reload
  useEffect(() => {
    const ctrl = new AbortController();
    setSummary(null);
    monitoringApi
      .summary(region, ctrl.signal)
      .then(setSummary)
      .catch((e: unknown) => showError(e));
    return () => ctrl.abort();
  }, [region, showError, tick]);

  useEffect(() => {
    let live = true;
    api
      .get<{ items: RegionPathItem[] }>(`/api/regions/${region}/path`)
      .then((r) => live && setPath(r.items))
      .catch(() => live && setPath([]));
    return () => {
      live = false;
    };
  }, [region]);

  const loadMore = async () => {
    if (!next) return;
    setLoadingMore(true);
    try {
      const r = await fetchRows(next);
      setItems((prev) => [...prev, ...r.rows]);
      setNext(r.next);
    } catch (e) {
      showError(e);
    } finally {
      setLoadingMore(false);
    }
  };

  const setParam = (changes: Record<string, string | undefined>) => {
    const p = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v) p.set(k, v);
      else p.delete(k);
    }
    setParams(p);
  };

  const reload = useCallback(() => {
    setRecording(undefined);
    setTick((n) => n + 1);
  }, []);

  const selectedSignals = useMemo(
    () => items.filter((s) => selected.includes(s.id)),
    [items, selected],
  );

  const columns: ColumnsType<Signal> = [
    {
      title: t.monitoring.columns.householdNumber,
      dataIndex: "householdNumber",
      width: 164,
      fixed: "left",
      render: (v: string) => (
        <Link
          to={`/households/${encodeURIComponent(v)}`}
          onClick={(e) => e.stopPropagation()}
          className="mono"
        >
          {v}
        </Link>
      ),
    },
    { title: t.monitoring.columns.head, dataIndex: "headName", width: 68 },
    { title: t.monitoring.columns.town, dataIndex: "townName", width: 76 },
    { title: t.monitoring.columns.village, dataIndex: "villageName", width: 96 },
    {
      title: t.monitoring.columns.rule,
      dataIndex: "name",
      width: 170,
      render: (name: string, row) => (
        <div className="signal-rule">
          <span>{name}</span>
          <SignalCategoryTag category={row.category} />
        </div>
      ),
    },
    {
      title: t.monitoring.columns.message,
      dataIndex: "message",
      width: 230,
      render: (v: string) => <span className="signal-message">{v}</span>,
    },
    {
      title: t.monitoring.columns.severity,
      dataIndex: "severity",
      width: 72,
      align: "center",
      render: (v: string) => <SeverityTag severity={v} />,
    },
    {
      title: t.monitoring.columns.openedAt,
      dataIndex: "openedAt",
      width: 96,
      render: (v: string) => <span className="num">{dateOf(v)}</span>,
    },
    ...(status === "resolved" && !tasks
      ? [
          {
            title: t.monitoring.columns.resolvedAt,
            dataIndex: "resolvedAt",
            width: 104,
            render: (v: string | null) => <span className="num">{dateOf(v)}</span>,
          },
          {
            title: t.monitoring.columns.resolution,
            dataIndex: "resolution",
            width: 140,
            render: (v: string | null) => (v ? (t.monitoring.outcomes[v] ?? v) : t.common.empty),
          },
        ]
      : [
          {
            title: t.monitoring.columns.deadline,
            key: "deadline",
            width: 100,
            fixed: "right" as const,
            render: (_: unknown, row: Signal) => (
              <Deadline
                date={row.verification?.deadline ?? row.deadline}
                overdue={row.verification?.overdue ?? false}
              />
            ),
          },
        ]),
    {
      title: t.monitoring.columns.verification,
      key: "verification",
      width: 136,
      fixed: "right",
      // The outcome is recorded where the task's state is shown.
      render: (_: unknown, row) => (
        <div className="verification-cell">
          <VerificationStatus v={row.verification} />
          {canRecord && row.verification?.status === "open" && (
            <Button
              size="small"
              type="link"
              icon={<FormOutlined />}
              onClick={(e) => {
                e.stopPropagation();
                setRecording(row);
              }}
              data-testid="record-outcome"
            >
              {t.monitoring.record}
            </Button>
          )}
          {canOpenCase && row.verification?.status === "open" && (
            <Button
              size="small"
              type="link"
              icon={<FileAddOutlined />}
              onClick={(e) => {
                e.stopPropagation();
                const v = row.verification!;
                setOpening({
                  householdNumber: row.householdNumber,
                  headName: row.headName,
                  verification: { id: v.id, version: v.version },
                });
              }}
              data-testid="open-case-from-task"
            >
              {casesText.openFromTask}
            </Button>
          )}
        </div>
      ),
    },
  ];

  const regionName = path.at(-1)?.name ?? region;
  const title = tasks ? t.monitoring.tasksTitle : t.monitoring.signalsTitle;
  const ruleOptions = (summary?.byRule ?? []).map((r) => ({
    value: r.rule,
    label: `${r.name}（${r.open}）`,
  }));
  if (rule && !ruleOptions.some((o) => o.value === rule))
    ruleOptions.push({ value: rule, label: rule });

  return (
    <div className="page">
      <Breadcrumb
        className="page__crumbs"
        items={path
          .filter((p) => p.code.length >= root.length)
          .map((p) => ({
            title:
              p.code === region ? (
                p.name
              ) : (
                <Link
                  to={{
                    search: new URLSearchParams({
                      ...Object.fromEntries(params),
                      region: p.code,
                    }).toString(),
                  }}
                >
                  {p.name}
                </Link>
              ),
          }))}
      />
      <SignalSummaryCards
        summary={summary}
        onRegion={(code) => setParam({ region: code })}
        onRule={(r) => setParam({ rule: r })}
        onOverdue={() => setParam({ overdue: "true", status: undefined })}
      />
      <Card
        className="page__card signals-card"
        title={
          <Space>
            <span>{title}</span>
            <Typography.Text type="secondary" style={{ fontWeight: "normal" }}>
              {regionName}
            </Typography.Text>
          </Space>
        }
        extra={
          (canSweep || canCloseYear) && (
            <Space>
              {canCloseYear && (
                <IncomeCloseButton
                  region={region}
                  regionName={regionName}
                  onDone={() => setTick((n) => n + 1)}
                />
              )}
              {canSweep && (
                <SweepButton
                  region={region}
                  regionName={regionName}
                  onDone={() => setTick((n) => n + 1)}
                />
              )}
            </Space>
          )
        }
      >
        <div className="filters">
          <Select
            className="filters__select filters__select--rule"
            allowClear
            showSearch={{ optionFilterProp: "label" }}
            placeholder={t.monitoring.rule}
            value={rule}
            onChange={(v?: string) => setParam({ rule: v })}
            options={ruleOptions}
            data-testid="filter-rule"
          />
          <Select
            className="filters__select"
            allowClear
            placeholder={t.monitoring.category}
            value={category}
            onChange={(v?: string) => setParam({ category: v })}
            options={CATEGORY_CODES.map((c) => ({ value: c, label: t.monitoring.categories[c] }))}
          />
          <Select
            className="filters__select filters__select--narrow"
            allowClear
            placeholder={t.monitoring.severity}
            value={severity}
            onChange={(v?: string) => setParam({ severity: v })}
            options={["high", "medium", "low"].map((s) => ({
              value: s,
              label: t.monitoring.severities[s],
            }))}
          />
          {tasks ? (
            <Segmented<TaskFilter>
              value={taskFilter}
              onChange={(v) => setParam({ task: v === "open" ? undefined : v })}
              options={[
                { value: "open", label: t.monitoring.taskOpen },
                { value: "done", label: t.monitoring.taskDone },
                { value: "all", label: t.monitoring.taskAll },
              ]}
            />
          ) : (
            <Segmented<"open" | "resolved">
              value={status}
              onChange={(v) =>
                setParam({ status: v === "open" ? undefined : v, overdue: undefined })
              }
              options={[
                { value: "open", label: t.monitoring.statusOpen },
                { value: "resolved", label: t.monitoring.statusResolved },
              ]}
            />
          )}
          <Checkbox
            checked={overdue}
            disabled={status === "resolved" && !tasks}
            onChange={(e) => setParam({ overdue: e.target.checked ? "true" : undefined })}
            data-testid="filter-overdue"
          >
            {t.monitoring.overdueOnly}
          </Checkbox>
          <Space.Compact>
            <span className="filters__addon">{t.monitoring.olderThan}</span>
            <InputNumber<number>
              min={0}
              max={3650}
              precision={0}
              value={olderThanDays ?? null}
              onChange={(v) => setParam({ older: v === null ? undefined : String(v) })}
              style={{ width: 84 }}
              data-testid="filter-older"
            />
            <span className="filters__addon">{t.monitoring.days}</span>
          </Space.Compact>
          <Select<SignalSort>
            className="filters__select filters__select--rule"
            value={sort}
            onChange={(v) => setParam({ sort: v === "opened" ? undefined : v })}
            options={SORTS.map((v) => ({ value: v, label: mtext.sorts[v] }))}
            prefix={mtext.sort}
            data-testid="signal-sort"
          />
          <Button onClick={() => setParams(new URLSearchParams({ region }))}>
            {t.common.reset}
          </Button>
        </div>
        {canAssign && (
          <div className="bulk-bar">
            <Typography.Text type="secondary">
              {t.monitoring.selected(selected.length)}
            </Typography.Text>
            <Button
              type="primary"
              icon={<SendOutlined />}
              disabled={selected.length === 0}
              onClick={() => setAssigning(true)}
              data-testid="assign"
            >
              {t.monitoring.assign}
            </Button>
          </div>
        )}
        <Table<Signal>
          rowKey="id"
          size="small"
          bordered
          columns={columns}
          dataSource={items}
          loading={loading}
          pagination={false}
          scroll={{ x: 1290 }}
          rowClassName={(row) => (row.verification?.overdue ? "signal-row--overdue" : "")}
          rowSelection={
            canAssign
              ? {
                  selectedRowKeys: selected,
                  onChange: (keys) => setSelected(keys.map(Number)),
                  getCheckboxProps: (row) => ({ disabled: row.verification?.status !== "open" }),
                  columnWidth: 40,
                  fixed: "left",
                }
              : undefined
          }
          expandable={{
            expandedRowRender: (row) => <SignalDetail signal={row} />,
            expandRowByClick: true,
            columnWidth: 36,
          }}
          locale={{
            emptyText: <Empty description={tasks ? t.monitoring.emptyTasks : t.monitoring.empty} />,
          }}
          data-testid="signals"
        />
        <div className="list-footer">
          <Typography.Text type="secondary">{t.monitoring.shown(items.length)}</Typography.Text>
          {next ? (
            <Button onClick={loadMore} loading={loadingMore}>
              {t.list.loadMore}
            </Button>
          ) : (
            items.length > 0 && <Typography.Text type="secondary">{t.list.noMore}</Typography.Text>
          )}
        </div>
      </Card>
      <AssignModal
        open={assigning}
        signals={selectedSignals}
        root={root}
        onClose={() => setAssigning(false)}
        onDone={(n) => {
          if (n > 0) message.success(t.monitoring.assigned(n));
          setTick((x) => x + 1);
        }}
      />
      <OutcomeModal
        signal={recording}
        onClose={() => setRecording(undefined)}
        onSaved={() => {
          message.success(t.monitoring.recorded);
          reload();
        }}
        onReload={reload}
      />
      <OpenCaseModal
        target={opening}
        onClose={() => setOpening(undefined)}
        onOpened={(opened) => {
          setOpening(undefined);
          message.success(casesText.opened(opened.case));
          navigate(`/cases/${encodeURIComponent(opened.case)}`);
        }}
      />
    </div>
  );
}
