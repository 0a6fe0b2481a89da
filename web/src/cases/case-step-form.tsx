/**
 * 办理当前步骤 — what the current step records (a visit's date and findings, the signed consent,
 * the deliberation's date, attendees, votes and minutes), the comment, and the buttons that
 * complete the step, send the case back, reject or withdraw it. A notice step shows its period
 * instead, and completes only once the period is over.
 */
import {
  GlobalOutlined,
  NotificationOutlined,
  PrinterOutlined,
  RollbackOutlined,
} from "@ant-design/icons";
import {
  Alert,
  App,
  Button,
  DatePicker,
  Form,
  Input,
  InputNumber,
  Modal,
  Select,
  Space,
  Typography,
} from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { useState } from "react";
import { Link } from "react-router-dom";
import { useApiError } from "../components/use-api-error.tsx";
import { useI18n } from "../i18n/i18n.tsx";
import { ReasonsAlert } from "./case-tags.tsx";
import { useCasesText } from "./cases.i18n.ts";
import { type CaseDetail, casesApi, refusalReasons, type StepData } from "./cases-api.ts";

interface Values {
  visitedOn?: Dayjs;
  findings?: string;
  signedOn?: Dayjs;
  signedBy?: string;
  date?: Dayjs;
  attendees?: number;
  votesFor?: number;
  votesAgainst?: number;
  abstentions?: number;
  meeting?: string;
  comment?: string;
}

const day = (d: Dayjs | undefined) => (d ? d.format("YYYY-MM-DD") : undefined);

/** The step's data as the API wants it: only what was filled in. */
function dataOf(kind: string, v: Values): StepData | undefined {
  const raw: StepData =
    kind === "visit"
      ? { visitedOn: day(v.visitedOn), findings: v.findings?.trim() || undefined }
      : kind === "consent"
        ? { signedOn: day(v.signedOn), signedBy: v.signedBy?.trim() || undefined }
        : kind === "deliberation"
          ? {
              date: day(v.date),
              attendees: v.attendees ?? undefined,
              votesFor: v.votesFor ?? undefined,
              votesAgainst: v.votesAgainst ?? undefined,
              abstentions: v.abstentions ?? undefined,
              meeting: v.meeting?.trim() || undefined,
            }
          : {};
  const kept = Object.fromEntries(Object.entries(raw).filter(([, x]) => x !== undefined));
  return Object.keys(kept).length > 0 ? (kept as StepData) : undefined;
}

interface CaseStepFormProps {
  detail: CaseDetail;
  onChanged(next: CaseDetail): void;
  onReload(): void;
}

export function CaseStepForm({ detail, onChanged, onReload }: CaseStepFormProps) {
  const c = useCasesText();
  const { t } = useI18n();
  const { message } = App.useApp();
  const showError = useApiError();
  const [form] = Form.useForm<Values>();
  const [saving, setSaving] = useState(false);
  const [refused, setRefused] = useState<string[] | null>(null);
  const [closing, setClosing] = useState<"send_back" | "reject" | "withdraw" | null>(null);

  const index = detail.steps.findIndex((s) => s.state === "active");
  const step = detail.steps[index];
  if (!step) return null;
  const next = detail.steps[index + 1];
  const canAdvance = detail.can.includes("advance");
  const notice = step.kind === "notice";
  const noticeRunning = notice && detail.notice !== null && !detail.notice.over;

  const run = async (work: () => Promise<CaseDetail>, done: string) => {
    setSaving(true);
    setRefused(null);
    try {
      const r = await work();
      message.success(done);
      form.resetFields();
      onChanged(r);
    } catch (e) {
      const reasons = refusalReasons(e);
      if (reasons) setRefused(reasons);
      else
        showError(e, {
          form,
          onReload,
          conflict: { title: t.errors.conflictTitle, content: t.errors.conflictContent },
        });
    } finally {
      setSaving(false);
    }
  };

  const advance = async () => {
    let v: Values;
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    await run(
      () =>
        casesApi.advance(detail.case, {
          version: detail.version,
          ...(next ? { to: next.step } : {}),
          ...(v.comment?.trim() ? { comment: v.comment.trim() } : {}),
          ...(dataOf(step.kind, v) ? { data: dataOf(step.kind, v) } : {}),
        }),
      c.advanced,
    );
  };

  /** A notice step without a posting: advancing posts this household's notice alone. */
  const postAlone = () =>
    run(() => casesApi.advance(detail.case, { version: detail.version }), c.posted);

  return (
    <div className="case-step" data-testid="case-step">
      <Typography.Title level={5} className="case-step__title">
        {c.steps[step.kind] ?? step.name}
        {step.dueOn && (
          <Typography.Text type="secondary" className="case-step__due">
            {c.due(step.dueOn)}
          </Typography.Text>
        )}
      </Typography.Title>
      {notice &&
        (detail.notice ? (
          <Alert
            type={detail.notice.over ? "success" : "info"}
            showIcon
            title={c.noticePosted(detail.notice.startsOn, detail.notice.endsOn)}
            description={detail.notice.over ? c.noticeOver : c.noticeRunning}
            action={
              <Space orientation="vertical" size={4}>
                <Button
                  size="small"
                  icon={<PrinterOutlined />}
                  href={casesApi.printUrl(detail.notice.batch)}
                  target="_blank"
                >
                  {c.printNotice}
                </Button>
                <Button
                  size="small"
                  icon={<GlobalOutlined />}
                  href={casesApi.publicUrl(detail.villageCode)}
                  target="_blank"
                >
                  {c.publicPage}
                </Button>
              </Space>
            }
            data-testid="notice-period"
          />
        ) : (
          <Alert
            type="warning"
            showIcon
            title={c.noticeNotPosted}
            action={
              canAdvance && (
                <Space orientation="vertical" size={4}>
                  <Button
                    size="small"
                    type="primary"
                    icon={<NotificationOutlined />}
                    loading={saving}
                    onClick={postAlone}
                    data-testid="post-alone"
                  >
                    {c.postAlone}
                  </Button>
                  <Link to={`/notice-batches?region=${detail.villageCode}`}>{c.noticesMenu}</Link>
                </Space>
              )
            }
          />
        ))}
      {canAdvance && (!notice || detail.notice) && (
        <Form form={form} layout="vertical" className="case-step__form">
          {step.kind === "visit" && (
            <div className="case-step__fields">
              <Form.Item name="visitedOn" label={c.visitedOn} initialValue={dayjs()}>
                <DatePicker
                  disabledDate={(d) => d.isAfter(dayjs(), "day")}
                  data-testid="visited-on"
                />
              </Form.Item>
              <Form.Item name="findings" label={c.findings} className="case-step__wide">
                <Input.TextArea rows={2} maxLength={2000} data-testid="findings" />
              </Form.Item>
            </div>
          )}
          {step.kind === "consent" && (
            <div className="case-step__fields">
              <Form.Item name="signedOn" label={c.signedOn} initialValue={dayjs()}>
                <DatePicker disabledDate={(d) => d.isAfter(dayjs(), "day")} />
              </Form.Item>
              <Form.Item name="signedBy" label={c.signedBy}>
                <Input maxLength={60} data-testid="signed-by" />
              </Form.Item>
            </div>
          )}
          {step.kind === "deliberation" && (
            <div className="case-step__fields">
              <Form.Item name="date" label={c.meetingDate} initialValue={dayjs()}>
                <DatePicker
                  disabledDate={(d) => d.isAfter(dayjs(), "day")}
                  data-testid="meeting-date"
                />
              </Form.Item>
              <Form.Item name="meeting" label={c.meeting}>
                <Input maxLength={200} placeholder={c.meetingPlaceholder} data-testid="meeting" />
              </Form.Item>
              {(["attendees", "votesFor", "votesAgainst", "abstentions"] as const).map((k) => (
                <Form.Item key={k} name={k} label={c[k]}>
                  <InputNumber<number>
                    min={0}
                    max={10_000}
                    precision={0}
                    style={{ width: 96 }}
                    data-testid={k}
                  />
                </Form.Item>
              ))}
            </div>
          )}
          <Form.Item name="comment" label={c.comment}>
            <Input.TextArea
              rows={2}
              maxLength={2000}
              placeholder={c.commentPlaceholder}
              data-testid="step-comment"
            />
          </Form.Item>
          {refused && <ReasonsAlert title={c.refusedTitle} reasons={refused} />}
          <Space wrap className="case-step__buttons">
            <Button
              type="primary"
              loading={saving}
              disabled={noticeRunning}
              onClick={advance}
              data-testid="advance"
            >
              {next ? c.advanceTo(c.steps[next.kind] ?? next.name) : c.finish}
            </Button>
            {detail.can.includes("send_back") && (
              <Button
                icon={<RollbackOutlined />}
                onClick={() => setClosing("send_back")}
                data-testid="send-back"
              >
                {c.sendBack}
              </Button>
            )}
            {detail.can.includes("reject") && (
              <Button danger onClick={() => setClosing("reject")} data-testid="reject">
                {c.reject}
              </Button>
            )}
            {detail.can.includes("withdraw") && (
              <Button type="text" onClick={() => setClosing("withdraw")}>
                {c.withdraw}
              </Button>
            )}
          </Space>
        </Form>
      )}
      <ReasonModal
        kind={closing}
        detail={detail}
        onClose={() => setClosing(null)}
        onDone={(r) => {
          setClosing(null);
          onChanged(r);
        }}
        onReload={onReload}
      />
    </div>
  );
}

/** 退回 / 不予通过 / 撤销, each with a reason; sending back may name an earlier step. */
function ReasonModal({
  kind,
  detail,
  onClose,
  onDone,
  onReload,
}: {
  kind: "send_back" | "reject" | "withdraw" | null;
  detail: CaseDetail;
  onClose(): void;
  onDone(r: CaseDetail): void;
  onReload(): void;
}) {
  const c = useCasesText();
  const { t } = useI18n();
  const { message } = App.useApp();
  const showError = useApiError();
  const [form] = Form.useForm<{ to?: string; reason: string }>();
  const [saving, setSaving] = useState(false);
  const index = detail.steps.findIndex((s) => s.state === "active");
  const earlier = detail.steps.slice(0, Math.max(index, 0));

  const submit = async () => {
    if (!kind) return;
    let v: { to?: string; reason: string };
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    setSaving(true);
    try {
      const body = { version: detail.version, reason: v.reason.trim() };
      const r =
        kind === "send_back"
          ? await casesApi.sendBack(detail.case, { ...body, to: v.to })
          : await casesApi.close(detail.case, kind, body);
      message.success(kind === "send_back" ? c.sentBack : c.closedOk);
      onDone(r);
    } catch (e) {
      showError(e, { form, onReload });
    } finally {
      setSaving(false);
    }
  };

  const title = kind === "send_back" ? c.sendBackTitle : kind === "reject" ? c.reject : c.withdraw;
  return (
    <Modal
      open={kind !== null}
      title={title}
      okText={t.common.confirm}
      cancelText={t.common.cancel}
      okButtonProps={{ danger: kind !== "send_back" }}
      confirmLoading={saving}
      onOk={submit}
      onCancel={onClose}
      destroyOnHidden
      data-testid="reason-modal"
    >
      <Form form={form} layout="vertical" preserve={false}>
        {kind === "send_back" && (
          <Form.Item name="to" label={c.sendBackTo} initialValue={earlier.at(-1)?.step}>
            <Select
              options={earlier.map((s) => ({ value: s.step, label: c.steps[s.kind] ?? s.name }))}
            />
          </Form.Item>
        )}
        <Form.Item
          name="reason"
          label={c.reason}
          rules={[{ required: true, min: 2, whitespace: true, message: c.reasonRequired }]}
        >
          <Input.TextArea rows={3} maxLength={2000} showCount data-testid="reason" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
