/**
 * 数据导入 — a national-format file is dropped, checked on the server (a dry run, with progress),
 * its problems listed with their Excel row and column (filterable by problem, column, town and
 * severity), the annotated workbook offered for download, and the import confirmed.
 */
import { DownloadOutlined, InboxOutlined, ReloadOutlined } from "@ant-design/icons";
import {
  Alert,
  App,
  Button,
  Card,
  Descriptions,
  Progress,
  Radio,
  Space,
  Table,
  Tag,
  Typography,
  Upload,
} from "antd";
import type { ColumnsType } from "antd/es/table/index.js";
import { useEffect, useMemo, useState } from "react";
import { isAbort } from "../../api/client.ts";
import { useApiError } from "../../components/use-api-error.tsx";
import { chinaDateTime } from "../../format.ts";
import { useUser } from "../../session/session.tsx";
import { type ExchangeText, useExchangeText } from "./exchange.i18n.ts";
import {
  annotatedUrl,
  type Counts,
  confirmImport,
  type ImportHistoryItem,
  type ImportJob,
  type ImportProblem,
  importHistory,
  importJob,
  measuresFromImports,
  startImport,
} from "./exchange-api.ts";

const POLL_MS = 600;

/** Distinct values of a column as table filters, with how often each occurs. */
function filtersOf(rows: ImportProblem[], pick: (p: ImportProblem) => string) {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(pick(r), (counts.get(pick(r)) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([value, n]) => ({ text: `${value || "—"}（${n}）`, value }));
}

function CountsRow({ title, counts, x }: { title: string; counts: Counts; x: ExchangeText }) {
  return (
    <Descriptions
      title={title}
      size="small"
      column={4}
      bordered
      items={[
        { key: "created", label: x.created, children: counts.created },
        { key: "updated", label: x.updated, children: counts.updated },
        { key: "unchanged", label: x.unchanged, children: counts.unchanged },
        {
          key: "rejected",
          label: x.rejected,
          children: (
            <Typography.Text type={counts.rejected > 0 ? "danger" : undefined}>
              {counts.rejected}
            </Typography.Text>
          ),
        },
      ]}
    />
  );
}

function Report({ job, x }: { job: ImportJob; x: ExchangeText }) {
  const report = job.report!;
  const errors = report.errors.filter((e) => e.severity === "error").length;
  const warnings = report.errors.length - errors;
  const columns: ColumnsType<ImportProblem> = useMemo(
    () => [
      {
        title: x.columns.row,
        dataIndex: "row",
        width: 72,
        align: "right",
        sorter: (a, b) => a.row - b.row,
      },
      {
        title: x.columns.column,
        dataIndex: "column",
        width: 150,
        filters: filtersOf(report.errors, (p) => p.column),
        filterSearch: true,
        onFilter: (v, p) => p.column === v,
      },
      { title: x.columns.household, dataIndex: "household", width: 170 },
      {
        title: x.columns.town,
        dataIndex: "town",
        width: 100,
        filters: filtersOf(report.errors, (p) => p.town),
        filterSearch: true,
        onFilter: (v, p) => p.town === v,
      },
      {
        title: x.columns.code,
        dataIndex: "code",
        width: 210,
        filters: filtersOf(report.errors, (p) => p.code),
        filterSearch: true,
        onFilter: (v, p) => p.code === v,
        render: (code: string, p) => (
          <Tag color={p.severity === "error" ? "red" : "gold"}>{code}</Tag>
        ),
      },
      {
        title: x.filters.severity,
        dataIndex: "severity",
        width: 80,
        filters: ["error", "warning"].map((value) => ({ text: x.severity[value], value })),
        onFilter: (v, p) => p.severity === v,
        render: (v: string) => x.severity[v] ?? v,
      },
      { title: x.columns.message, dataIndex: "message" },
    ],
    [report.errors, x],
  );

  return (
    <Space direction="vertical" size="middle" style={{ width: "100%" }}>
      <CountsRow title={x.households} counts={report.households} x={x} />
      <CountsRow title={x.members} counts={report.members} x={x} />
      {report.errors.length > 0 && (
        <Typography.Title level={5} style={{ margin: 0 }}>
          {x.problems(errors, warnings)}
        </Typography.Title>
      )}
      {report.errors.length === 0 ? (
        <Alert type="success" showIcon message={x.noProblems} />
      ) : (
        <Table<ImportProblem>
          rowKey={(p) => `${p.row}|${p.column}|${p.code}`}
          size="small"
          bordered
          columns={columns}
          dataSource={report.errors}
          pagination={{ pageSize: 50, showSizeChanger: true, pageSizeOptions: [20, 50, 100, 500] }}
          scroll={{ x: 1100 }}
          data-testid="import-problems"
        />
      )}
    </Space>
  );
}

/**
 * After an import whose file had extra columns: the national file's assistance columns can
 * become measures (POST /api/assistance/measures/import-national over the user's region).
 */
function MeasuresFromImport({ x }: { x: ExchangeText }) {
  const user = useUser();
  const showError = useApiError();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<string | null>(null);
  if (!user.regionCode) return null;
  const region = user.regionCode;
  const run = async () => {
    setBusy(true);
    try {
      const r = await measuresFromImports(region);
      setResult(x.measuresDone(r.measures, r.households));
    } catch (e) {
      showError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Alert
      type="info"
      showIcon
      message={x.measuresTitle}
      data-testid="import-measures"
      description={
        <Space direction="vertical">
          <span>{x.measuresIntro}</span>
          {result ? (
            <Typography.Text strong data-testid="import-measures-result">
              {result}
            </Typography.Text>
          ) : (
            <Button loading={busy} onClick={run} data-testid="import-measures-button">
              {x.measuresButton}
            </Button>
          )}
        </Space>
      }
    />
  );
}

const HISTORY_PAGE = 20;

/** Created / updated / unchanged / rejected in one cell, the rejected in red. */
function countsText(c: Counts) {
  return (
    <span>
      {c.created} / {c.updated} / {c.unchanged} /{" "}
      <Typography.Text type={c.rejected > 0 ? "danger" : undefined}>{c.rejected}</Typography.Text>
    </span>
  );
}

/** 导入记录: the imports that wrote, newest first; reloaded when `version` changes. */
function ImportHistory({ x, version }: { x: ExchangeText; version: string }) {
  const showError = useApiError();
  const [items, setItems] = useState<ImportHistoryItem[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    void version;
    const ctrl = new AbortController();
    setLoading(true);
    importHistory({ limit: HISTORY_PAGE }, ctrl.signal)
      .then((page) => {
        setItems(page.items);
        setNext(page.next);
      })
      .catch((e: unknown) => {
        if (!isAbort(e)) showError(e);
      })
      .finally(() => setLoading(false));
    return () => ctrl.abort();
  }, [version, showError]);

  const more = async () => {
    if (next === null) return;
    setLoading(true);
    try {
      const page = await importHistory({ limit: HISTORY_PAGE, before: next });
      setItems((old) => [...old, ...page.items]);
      setNext(page.next);
    } catch (e) {
      showError(e);
    } finally {
      setLoading(false);
    }
  };

  const h = x.history;
  const columns: ColumnsType<ImportHistoryItem> = [
    { title: h.at, dataIndex: "at", width: 150, render: (at: string) => chinaDateTime(at) },
    { title: h.file, dataIndex: "file", render: (f: string | null) => f ?? "—" },
    {
      title: h.actor,
      dataIndex: "actor",
      width: 140,
      render: (login: string, item) => item.actorName ?? login,
    },
    {
      title: h.households,
      dataIndex: "households",
      width: 230,
      render: (c: Counts) => countsText(c),
    },
    { title: h.members, dataIndex: "members", width: 230, render: (c: Counts) => countsText(c) },
    {
      title: h.problems,
      dataIndex: "problems",
      width: 80,
      align: "right",
      render: (n: number | null) => (n === null ? "—" : n),
    },
  ];
  return (
    <Card title={h.title} className="page__card" data-testid="import-history">
      <Space direction="vertical" style={{ width: "100%" }}>
        <Typography.Text type="secondary">{h.hint}</Typography.Text>
        <Table<ImportHistoryItem>
          rowKey="id"
          size="small"
          bordered
          loading={loading}
          columns={columns}
          dataSource={items}
          pagination={false}
          locale={{ emptyText: h.empty }}
          scroll={{ x: 1000 }}
        />
        {next !== null && (
          <Button onClick={more} loading={loading}>
            {h.more}
          </Button>
        )}
      </Space>
    </Card>
  );
}

export function ImportPage() {
  const x = useExchangeText();
  const showError = useApiError();
  const { modal } = App.useApp();
  const [file, setFile] = useState<File | null>(null);
  const [atomic, setAtomic] = useState<"household" | "all">("household");
  const [job, setJob] = useState<ImportJob | null>(null);
  const [starting, setStarting] = useState(false);

  // Poll while the server works on the job.
  useEffect(() => {
    if (job?.status !== "running") return;
    const ctrl = new AbortController();
    const timer = setTimeout(() => {
      importJob(job.id, ctrl.signal)
        .then(setJob)
        .catch((e: unknown) => {
          if (!isAbort(e)) showError(e);
        });
    }, POLL_MS);
    return () => {
      clearTimeout(timer);
      ctrl.abort();
    };
  }, [job, showError]);

  const check = async () => {
    if (!file) return;
    setStarting(true);
    try {
      setJob(await startImport(file, { atomic }));
    } catch (e) {
      showError(e);
    } finally {
      setStarting(false);
    }
  };

  const confirm = () => {
    if (!job?.report) return;
    modal.confirm({
      title: x.confirmTitle,
      content: x.confirmContent(job.report.households.rejected),
      okText: x.confirm,
      onOk: async () => {
        try {
          setJob(await confirmImport(job.id));
        } catch (e) {
          showError(e);
        }
      },
    });
  };

  const reset = () => {
    setJob(null);
    setFile(null);
  };

  // The history again once an import has written.
  const historyVersion = job?.status === "done" && job.report?.committed ? job.id : "";
  const running = job?.status === "running";
  const done = job?.status === "done" && job.report;
  const status = (() => {
    if (!job || !done) return null;
    const r = job.report!;
    if (r.dryRun) return <Alert type="info" showIcon message={x.checked} />;
    if (r.committed) return <Alert type="success" showIcon message={x.imported} />;
    return <Alert type="warning" showIcon message={x.notImported} />;
  })();

  return (
    <div className="page">
      <Card title={x.title} className="page__card" data-testid="import-page">
        <Space direction="vertical" size="large" style={{ width: "100%" }}>
          <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
            {x.intro}
          </Typography.Paragraph>
          {!job && (
            <>
              <Upload.Dragger
                accept=".xlsx,.csv"
                multiple={false}
                maxCount={1}
                fileList={file ? [{ uid: "file", name: file.name, status: "done" }] : []}
                beforeUpload={(f) => {
                  setFile(f);
                  return false;
                }}
                onRemove={() => setFile(null)}
                data-testid="import-drop"
              >
                <p className="ant-upload-drag-icon">
                  <InboxOutlined />
                </p>
                <p className="ant-upload-text">{x.drop}</p>
                <p className="ant-upload-hint">{x.dropHint}</p>
              </Upload.Dragger>
              <Space wrap>
                <span>{x.atomic}</span>
                <Radio.Group value={atomic} onChange={(e) => setAtomic(e.target.value)}>
                  <Radio value="household">{x.atomicHousehold}</Radio>
                  <Radio value="all">{x.atomicAll}</Radio>
                </Radio.Group>
                <Button
                  type="primary"
                  disabled={!file}
                  loading={starting}
                  onClick={check}
                  data-testid="import-check"
                >
                  {x.check}
                </Button>
              </Space>
            </>
          )}
          {job && (
            <Space direction="vertical" size="middle" style={{ width: "100%" }}>
              <Space wrap>
                <Typography.Text strong>{job.fileName}</Typography.Text>
                {running && (
                  <Typography.Text type="secondary">
                    {x.phases[job.progress.phase] ?? job.progress.phase} ·{" "}
                    {x.rows(job.progress.rows)}
                  </Typography.Text>
                )}
              </Space>
              {running && (
                <Progress
                  percent={Math.round(job.progress.fraction * 100)}
                  status="active"
                  data-testid="import-progress"
                />
              )}
              {job.status === "failed" && (
                <Alert type="error" showIcon message={x.failed} description={job.error?.message} />
              )}
              {status}
              {done && job.report!.committed && job.report!.extraColumns.length > 0 && (
                <MeasuresFromImport x={x} />
              )}
              {done && <Report job={job} x={x} />}
              <Space wrap>
                {done && job.report!.errors.length > 0 && (
                  <Button
                    icon={<DownloadOutlined />}
                    href={annotatedUrl(job.id)}
                    data-testid="import-annotated"
                  >
                    {x.download}
                  </Button>
                )}
                {done && job.dryRun && !job.confirmed && (
                  <Button type="primary" onClick={confirm} data-testid="import-confirm">
                    {x.confirm}
                  </Button>
                )}
                {!running && (
                  <Button icon={<ReloadOutlined />} onClick={reset}>
                    {x.another}
                  </Button>
                )}
              </Space>
            </Space>
          )}
        </Space>
      </Card>
      <ImportHistory x={x} version={historyVersion} />
    </div>
  );
}
