/**
 * 案件详情 — one case: the household, the steps with who completed them and when, the current
 * step's action, the public notice, objections and their resolution, attachments and the log.
 */
import { ArrowLeftOutlined, PaperClipOutlined, UploadOutlined } from "@ant-design/icons";
import {
  Alert,
  App,
  Breadcrumb,
  Button,
  Card,
  Col,
  Descriptions,
  Empty,
  Result,
  Row,
  Select,
  Skeleton,
  Space,
  Steps,
  Tag,
  Timeline,
  Typography,
  Upload,
} from "antd";
import { useCallback, useEffect, useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { RISK_FACTORS } from "../../../src/core/vocab.ts";
import type { HouseholdDetail } from "../api/types.ts";
import { CaseStepForm } from "../cases/case-step-form.tsx";
import { CaseDeadline, CaseStateTag } from "../cases/case-tags.tsx";
import { useCasesText } from "../cases/cases.i18n.ts";
import { type CaseDetail, type CaseLogEntry, casesApi } from "../cases/cases-api.ts";
import { ObjectionsTable } from "../cases/objections.tsx";
import { CategoryTag, HouseholdTypeTag } from "../components/tags.tsx";
import { errorText, useApiError } from "../components/use-api-error.tsx";
import { chinaDateTime } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { vocabLabel } from "../registry/fields.ts";
import { householdApi } from "../registry/household-api.ts";

export function CaseDetailPage() {
  const c = useCasesText();
  const { t, fieldLang } = useI18n();
  const navigate = useNavigate();
  const { caseNumber = "" } = useParams();
  const [detail, setDetail] = useState<CaseDetail | null>(null);
  const [household, setHousehold] = useState<HouseholdDetail | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [tick, setTick] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new tick asks for a reload
  useEffect(() => {
    const ctrl = new AbortController();
    casesApi
      .get(caseNumber, ctrl.signal)
      .then(setDetail)
      .catch((e: unknown) => !ctrl.signal.aborted && setFailure(e));
    return () => ctrl.abort();
  }, [caseNumber, tick]);

  const householdNumber = detail?.household;
  const version = detail?.version;
  // biome-ignore lint/correctness/useExhaustiveDependencies: the household changes as the case does
  useEffect(() => {
    if (!householdNumber) return;
    const ctrl = new AbortController();
    householdApi
      .detail(householdNumber, {}, ctrl.signal)
      .then(setHousehold)
      .catch(() => !ctrl.signal.aborted && setHousehold(null));
    return () => ctrl.abort();
  }, [householdNumber, version]);

  const reload = useCallback(() => setTick((n) => n + 1), []);

  if (failure)
    return (
      <div className="page">
        <Card>
          <Result
            status="404"
            title={errorText(failure, t)}
            extra={<Button onClick={() => navigate("/cases")}>{c.back}</Button>}
          />
        </Card>
      </div>
    );
  if (!detail)
    return (
      <div className="page">
        <Card>
          <Skeleton active paragraph={{ rows: 10 }} />
        </Card>
      </div>
    );

  const h = household?.household;
  const current = detail.steps.findIndex((s) => s.state === "active");
  const open = detail.status === "active" || detail.status === "paused";
  const risks = (codes: string[] | null | undefined) =>
    codes?.length
      ? codes.map((r) => vocabLabel(RISK_FACTORS, r, fieldLang)).join("、")
      : t.common.empty;

  return (
    <div className="page">
      <Breadcrumb
        className="page__crumbs"
        items={[
          { title: <Link to="/cases">{c.title}</Link> },
          { title: detail.villageName ?? detail.villageCode },
          { title: detail.case },
        ]}
      />
      <Card className="household-head" data-testid="case-head">
        <div className="household-head__row">
          <div>
            <Space align="center" wrap>
              <Button
                type="text"
                icon={<ArrowLeftOutlined />}
                onClick={() => navigate(-1)}
                aria-label={t.common.back}
              />
              <Typography.Title level={4} className="household-head__title">
                {c.types[detail.type] ?? detail.typeName}{" "}
                <span className="mono">{detail.case}</span>
              </Typography.Title>
              <CaseStateTag item={detail} />
              {detail.greenChannel && <Tag color="green">{c.greenChannel}</Tag>}
            </Space>
            <div className="household-head__facts">
              <span>
                {c.deadline}
                {t.common.colon}
                <CaseDeadline date={detail.deadline} overdue={detail.overdue} />
                <Typography.Text type="secondary"> （{c.deadlineHint}）</Typography.Text>
              </span>
              <span>
                {c.leadDate}
                {t.common.colon}
                <span className="num">{detail.leadDate}</span> ·{" "}
                {c.leadSources[detail.leadSource] ?? detail.leadSource}
              </span>
              {detail.decidedOn && (
                <span>
                  {c.decidedOn}
                  {t.common.colon}
                  <span className="num">{detail.decidedOn}</span>
                </span>
              )}
              {detail.assistanceStartedOn && (
                <span>
                  {c.assistanceStarted}
                  {t.common.colon}
                  <span className="num">{detail.assistanceStartedOn}</span>
                </span>
              )}
            </div>
          </div>
        </div>
      </Card>

      <Card title={c.stepsTitle} className="page__card" data-testid="case-steps">
        <div className="case-steps-scroll">
          <Steps
            size="small"
            current={current < 0 ? detail.steps.length : current}
            status={
              detail.status === "paused"
                ? "error"
                : detail.status === "rejected" || detail.status === "withdrawn"
                  ? "error"
                  : undefined
            }
            items={detail.steps.map((s) => ({
              title: c.steps[s.kind] ?? s.name,
              description:
                s.state === "done" ? (
                  <span className="case-steps__who">
                    {s.actor}
                    <br />
                    <span className="num">{s.at ? chinaDateTime(s.at) : ""}</span>
                  </span>
                ) : s.state === "active" && s.dueOn ? (
                  <span className="num">{c.due(s.dueOn)}</span>
                ) : undefined,
            }))}
          />
        </div>
        <div className="case-steps__action">
          {detail.status === "paused" && (
            <Alert type="warning" showIcon title={c.paused} data-testid="case-paused-alert" />
          )}
          {!open && (
            <Alert
              type={detail.status === "completed" ? "success" : "info"}
              showIcon
              title={c.closed(c.statuses[detail.status] ?? detail.status)}
              data-testid="case-closed"
            />
          )}
          {detail.status === "active" &&
            (detail.can.includes("advance") ? (
              <CaseStepForm detail={detail} onChanged={setDetail} onReload={reload} />
            ) : (
              current >= 0 && (
                <Typography.Text type="secondary" data-testid="not-yours">
                  {c.waitingFor(
                    c.steps[detail.steps[current]!.kind] ?? detail.steps[current]!.name,
                    detail.steps[current]!.roles.map((r) => t.roles[r] ?? r).join("、"),
                  )}
                </Typography.Text>
              )
            ))}
        </div>
      </Card>

      <Row gutter={16}>
        <Col xs={24} xl={10}>
          <Card title={c.householdSummary} className="page__card" data-testid="case-household">
            <Descriptions size="small" column={1} bordered>
              <Descriptions.Item label={t.list.columns.householdNumber}>
                <Link to={`/households/${encodeURIComponent(detail.household)}`} className="mono">
                  {detail.household}
                </Link>
              </Descriptions.Item>
              <Descriptions.Item label={t.list.columns.head}>
                {detail.headName ?? t.common.empty}
              </Descriptions.Item>
              <Descriptions.Item label={t.list.columns.village}>
                {[detail.townName, detail.villageName].filter(Boolean).join(" / ")}
              </Descriptions.Item>
              <Descriptions.Item label={c.size}>
                {h ? t.common.people(h.size) : t.common.empty}
              </Descriptions.Item>
              <Descriptions.Item label={c.householdType}>
                <HouseholdTypeTag code={h?.householdType ?? null} />
              </Descriptions.Item>
              <Descriptions.Item label={c.currentCategory}>
                <CategoryTag code={h?.monitoringCategory ?? null} showNone />
                {h?.monitoringCategory && h.riskEliminated !== null && (
                  <Typography.Text type={h.riskEliminated ? "success" : "danger"}>
                    {h.riskEliminated ? t.detail.riskEliminated : t.detail.riskNotEliminated}
                  </Typography.Text>
                )}
              </Descriptions.Item>
              {detail.type === "identification" && (
                <Descriptions.Item label={c.category}>
                  <CategoryTag code={detail.category} />
                </Descriptions.Item>
              )}
              <Descriptions.Item label={c.risks}>
                {risks(
                  detail.type === "identification"
                    ? detail.riskFactors
                    : (h?.riskFactors as string[] | null),
                )}
              </Descriptions.Item>
            </Descriptions>
          </Card>
        </Col>
        <Col xs={24} xl={14}>
          <Card title={c.log} className="page__card" data-testid="case-log">
            <Timeline
              items={detail.log.map((e) => ({
                key: `${e.at}-${e.action}`,
                content: <LogLine e={e} />,
              }))}
            />
          </Card>
        </Col>
      </Row>

      <Card title={c.objections} className="page__card">
        <ObjectionsTable
          items={detail.objections}
          canResolve={detail.can.includes("resolve_objection")}
          onResolved={(r) => (r ? setDetail(r) : reload())}
        />
      </Card>

      <Attachments detail={detail} onUploaded={reload} />
    </div>
  );
}

/** One log line: what happened at which step, who and when, the comment and what was recorded. */
function LogLine({ e }: { e: CaseLogEntry }) {
  const c = useCasesText();
  const data = e.data && typeof e.data === "object" ? (e.data as Record<string, unknown>) : {};
  const facts = Object.entries(data).flatMap(([k, v]) => {
    if (k === "comparison" && v && typeof v === "object")
      return [c.comparison(((v as { signals?: unknown[] }).signals ?? []).length)];
    if (k === "batch" || k === "greenChannel" || v === null || v === undefined || v === "")
      return [];
    const value = k === "to" ? (c.steps[String(v)] ?? String(v)) : String(v);
    return [`${c.dataLabels[k] ?? k}：${value}`];
  });
  return (
    <div className="case-log__line" data-testid="case-log-line">
      <div>
        <strong>{c.actions[e.action] ?? e.action}</strong> · {c.steps[e.step] ?? e.step}
        <span className="muted">
          {" "}
          {e.actor} · <span className="num">{chinaDateTime(e.at)}</span>
        </span>
      </div>
      {e.comment && <div>{e.comment}</div>}
      {facts.length > 0 && <div className="muted">{facts.join("；")}</div>}
    </div>
  );
}

function Attachments({ detail, onUploaded }: { detail: CaseDetail; onUploaded(): void }) {
  const c = useCasesText();
  const { message } = App.useApp();
  const showError = useApiError();
  const [kind, setKind] = useState("visit_photo");
  const canAttach = detail.can.includes("attach");
  return (
    <Card
      title={c.attachments}
      className="page__card"
      data-testid="case-attachments"
      extra={
        canAttach && (
          <Space>
            <Select
              value={kind}
              onChange={setKind}
              style={{ width: 140 }}
              options={Object.entries(c.attachmentKinds).map(([value, label]) => ({
                value,
                label,
              }))}
              data-testid="attachment-kind"
            />
            <Upload
              accept="image/jpeg,image/png,application/pdf"
              showUploadList={false}
              customRequest={async ({ file, onSuccess, onError }) => {
                try {
                  const r = await casesApi.upload(detail.case, file as File, kind);
                  onSuccess?.(r);
                  message.success(c.uploaded);
                  onUploaded();
                } catch (e) {
                  onError?.(e as Error);
                  showError(e);
                }
              }}
            >
              <Button icon={<UploadOutlined />} data-testid="upload">
                {c.upload}
              </Button>
            </Upload>
          </Space>
        )
      }
    >
      {canAttach && <Typography.Paragraph type="secondary">{c.uploadHint}</Typography.Paragraph>}
      {detail.attachments.length === 0 ? (
        <Empty description={c.noAttachments} image={Empty.PRESENTED_IMAGE_SIMPLE} />
      ) : (
        <ul className="case-attachments">
          {detail.attachments.map((a) => (
            <li key={a.id} data-testid="attachment">
              <PaperClipOutlined />{" "}
              <a href={casesApi.attachmentUrl(a.id)} target="_blank" rel="noreferrer">
                {a.name}
              </a>{" "}
              <Tag>{c.attachmentKinds[a.kind] ?? a.kind}</Tag>
              <span className="muted">
                {a.step ? `${c.steps[a.step] ?? a.step} · ` : ""}
                {Math.max(1, Math.round(a.size / 1024))} KB · {a.uploadedBy} ·{" "}
                {chinaDateTime(a.uploadedAt)}
              </span>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
