/**
 * 案件办理 — each role's work list: the cases whose current step the user completes (village:
 * visits, deliberation, notices; town: review; county: approval and announcement), or all open
 * or closed cases of the region. Overdue cases come first with a red tag. The county approves
 * and announces selected cases in one go; the village posts a notice for selected cases.
 */
import { CheckOutlined, NotificationOutlined, SoundOutlined } from "@ant-design/icons";
import {
  App,
  Button,
  Card,
  Checkbox,
  Empty,
  Segmented,
  Select,
  Space,
  Table,
  Tag,
  Typography,
} from "antd";
import type { ColumnsType } from "antd/es/table/index.js";
import { useCallback, useEffect, useMemo, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { CASE_TYPES, STEP_KINDS } from "../../../src/core/workflow.ts";
import { byUrgency, CaseDeadline, CaseStateTag, ReasonsAlert } from "../cases/case-tags.tsx";
import { useCasesText } from "../cases/cases.i18n.ts";
import { type CaseListItem, type CaseQuery, casesApi, refusalReasons } from "../cases/cases-api.ts";
import { PostNoticeModal } from "../cases/post-notice-modal.tsx";
import { useApiError } from "../components/use-api-error.tsx";
import { dateOf } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { rootRegionOf, useUser } from "../session/session.tsx";

type View = "mine" | "open" | "closed";
const PAGE = 200;

export function CasesPage() {
  const c = useCasesText();
  const { t } = useI18n();
  const user = useUser();
  const { message, modal } = App.useApp();
  const showError = useApiError();
  const [params, setParams] = useSearchParams();
  const region = params.get("region") ?? rootRegionOf(user);
  const view = (params.get("view") as View | null) ?? "mine";
  const type = params.get("type") ?? undefined;
  const step = params.get("step") ?? undefined;
  const overdue = params.get("overdue") === "true";

  const [items, setItems] = useState<CaseListItem[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [selected, setSelected] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [posting, setPosting] = useState(false);
  const [tick, setTick] = useState(0);

  const canBatch = user.can.includes("case.batch");
  const canPost = user.can.includes("notice.manage") && ["village", "admin"].includes(user.role);

  const query = useCallback(
    (after?: string): CaseQuery => ({
      region,
      type,
      step,
      status: view === "closed" ? "closed" : "open",
      mine: view === "mine" ? "true" : undefined,
      overdue: overdue ? "true" : undefined,
      limit: PAGE,
      after,
    }),
    [region, type, step, view, overdue],
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new tick asks for a reload
  useEffect(() => {
    const ctrl = new AbortController();
    setLoading(true);
    setSelected([]);
    casesApi
      .list(query(), ctrl.signal)
      .then((r) => {
        setItems(r.items);
        setNext(r.next);
      })
      .catch((e: unknown) => {
        showError(e);
        if (!ctrl.signal.aborted) setItems([]);
      })
      .finally(() => !ctrl.signal.aborted && setLoading(false));
    return () => ctrl.abort();
  }, [query, showError, tick]);

  const loadMore = async () => {
    if (!next) return;
    try {
      const r = await casesApi.list(query(next));
      setItems((prev) => [...prev, ...r.items]);
      setNext(r.next);
    } catch (e) {
      showError(e);
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

  const rows = useMemo(() => [...items].sort(byUrgency), [items]);
  const chosen = rows.filter((r) => selected.includes(r.case));
  const allAt = (kind: string) =>
    chosen.length > 0 && chosen.every((r) => r.step === kind && r.status === "active");

  /** Batch approval or announcement, after a confirmation; a refusal lists its reasons. */
  const batch = (kind: "approval" | "announcement") => {
    const cases = chosen.map((r) => r.case);
    modal.confirm({
      title: kind === "approval" ? c.approveMany : c.announceMany,
      content:
        kind === "approval" ? c.approveConfirm(cases.length) : c.announceConfirm(cases.length),
      okText: t.common.confirm,
      cancelText: t.common.cancel,
      onOk: async () => {
        setBusy(true);
        try {
          const r =
            kind === "approval"
              ? await casesApi.approveMany(cases)
              : await casesApi.announceMany(cases);
          message.success(c.batchDone(r.cases.length));
          setTick((n) => n + 1);
        } catch (e) {
          const reasons = refusalReasons(e);
          if (reasons)
            modal.error({
              title: c.refusedTitle,
              width: 560,
              content: <ReasonsAlert title={(e as Error).message} reasons={reasons} />,
            });
          else showError(e);
        } finally {
          setBusy(false);
        }
      },
    });
  };

  const columns: ColumnsType<CaseListItem> = [
    {
      title: c.columns.case,
      dataIndex: "case",
      width: 168,
      render: (v: string) => (
        <Link to={`/cases/${encodeURIComponent(v)}`} className="mono" data-testid="case-link">
          {v}
        </Link>
      ),
    },
    {
      title: c.columns.type,
      dataIndex: "type",
      width: 128,
      render: (v: string, row) => (
        <Space size={4} wrap>
          <span>{c.types[v] ?? row.typeName}</span>
          {row.greenChannel && <Tag color="green">{c.greenChannel}</Tag>}
        </Space>
      ),
    },
    {
      title: c.columns.household,
      dataIndex: "household",
      width: 164,
      render: (v: string) => (
        <Link to={`/households/${encodeURIComponent(v)}`} className="mono">
          {v}
        </Link>
      ),
    },
    { title: c.columns.head, dataIndex: "headName", width: 80 },
    { title: c.columns.village, dataIndex: "villageName", width: 110 },
    {
      title: c.columns.step,
      key: "step",
      width: 150,
      render: (_: unknown, row) => <CaseStateTag item={row} />,
    },
    {
      title: c.columns.deadline,
      key: "deadline",
      width: 130,
      render: (_: unknown, row) => <CaseDeadline date={row.deadline} overdue={row.overdue} />,
    },
    {
      title: c.columns.openedAt,
      dataIndex: "openedAt",
      width: 100,
      render: (v: string) => <span className="num">{dateOf(v)}</span>,
    },
  ];

  const selectable = view !== "closed" && (canBatch || canPost);

  return (
    <div className="page">
      <Card
        className="page__card"
        extra={
          <Link to={`/notice-batches?region=${region}`} data-testid="to-notices">
            <NotificationOutlined /> {c.noticesMenu}
          </Link>
        }
        title={
          <Space>
            <span>{c.title}</span>
            {view === "mine" && (
              <Typography.Text type="secondary" style={{ fontWeight: "normal" }}>
                {c.mineHint[user.role] ?? ""}
              </Typography.Text>
            )}
          </Space>
        }
      >
        <div className="filters">
          <Segmented<View>
            value={view}
            onChange={(v) => setParam({ view: v === "mine" ? undefined : v })}
            options={(["mine", "open", "closed"] as const).map((v) => ({
              value: v,
              label: c.views[v],
            }))}
            data-testid="case-view"
          />
          <Select
            className="filters__select"
            allowClear
            placeholder={c.filters.type}
            value={type}
            onChange={(v?: string) => setParam({ type: v })}
            options={CASE_TYPES.map((x) => ({ value: x, label: c.types[x] }))}
            data-testid="filter-case-type"
          />
          <Select
            className="filters__select"
            allowClear
            disabled={view === "closed"}
            placeholder={c.filters.step}
            value={step}
            onChange={(v?: string) => setParam({ step: v })}
            options={STEP_KINDS.map((x) => ({ value: x, label: c.steps[x] }))}
            data-testid="filter-case-step"
          />
          <Checkbox
            checked={overdue}
            disabled={view === "closed"}
            onChange={(e) => setParam({ overdue: e.target.checked ? "true" : undefined })}
            data-testid="filter-case-overdue"
          >
            {c.filters.overdueOnly}
          </Checkbox>
          <Button onClick={() => setParams(new URLSearchParams({ region }))}>
            {t.common.reset}
          </Button>
        </div>
        {selectable && (
          <div className="bulk-bar">
            <Typography.Text type="secondary">{c.selected(selected.length)}</Typography.Text>
            {canPost && (
              <Button
                icon={<NotificationOutlined />}
                disabled={!allAt("notice")}
                title={allAt("notice") ? undefined : c.onlyAtStep(c.steps.notice!)}
                onClick={() => setPosting(true)}
                data-testid="post-notice"
              >
                {c.postNotice}
              </Button>
            )}
            {canBatch && (
              <>
                <Button
                  type="primary"
                  icon={<CheckOutlined />}
                  loading={busy}
                  disabled={!allAt("approval")}
                  title={allAt("approval") ? undefined : c.onlyAtStep(c.steps.approval!)}
                  onClick={() => batch("approval")}
                  data-testid="approve-many"
                >
                  {c.approveMany}
                </Button>
                <Button
                  type="primary"
                  icon={<SoundOutlined />}
                  loading={busy}
                  disabled={!allAt("announcement")}
                  title={allAt("announcement") ? undefined : c.onlyAtStep(c.steps.announcement!)}
                  onClick={() => batch("announcement")}
                  data-testid="announce-many"
                >
                  {c.announceMany}
                </Button>
              </>
            )}
          </div>
        )}
        <Table<CaseListItem>
          rowKey="case"
          size="small"
          bordered
          columns={columns}
          dataSource={rows}
          loading={loading}
          pagination={false}
          scroll={{ x: 1030 }}
          rowClassName={(row) => (row.overdue ? "signal-row--overdue case-row--overdue" : "")}
          rowSelection={
            selectable
              ? {
                  selectedRowKeys: selected,
                  onChange: (keys) => setSelected(keys.map(String)),
                  getCheckboxProps: (row) => ({ disabled: row.status !== "active" }),
                  columnWidth: 40,
                }
              : undefined
          }
          locale={{ emptyText: <Empty description={c.empty} /> }}
          data-testid="cases"
        />
        <div className="list-footer">
          <Typography.Text type="secondary">{c.shown(rows.length)}</Typography.Text>
          {next && <Button onClick={loadMore}>{t.list.loadMore}</Button>}
        </div>
      </Card>
      <PostNoticeModal
        open={posting}
        candidates={rows.filter((r) => r.step === "notice" && r.status === "active")}
        preselected={selected}
        onClose={() => setPosting(false)}
        onPosted={() => setTick((n) => n + 1)}
      />
    </div>
  );
}
