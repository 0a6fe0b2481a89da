/**
 * 立案 — opens a case for a household (from its page, or from a verification task): the type,
 * and for an identification its category and risks. The conditions are checked as the form is
 * filled; a refusal lists every reason that does not hold.
 */
import { CheckCircleOutlined, LoadingOutlined } from "@ant-design/icons";
import { Checkbox, DatePicker, Form, Input, Modal, Radio, Select, Space, Typography } from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { useEffect, useLayoutEffect, useState } from "react";
import {
  ELIMINATION_METHODS,
  MONITORING_CATEGORIES,
  RISK_FACTORS,
} from "../../../src/core/vocab.ts";
import { useApiError } from "../components/use-api-error.tsx";
import { useI18n } from "../i18n/i18n.tsx";
import { vocabLabel } from "../registry/fields.ts";
import { ReasonsAlert } from "./case-tags.tsx";
import { useCasesText } from "./cases.i18n.ts";
import { type CaseDetail, casesApi, type GuardReport, refusalReasons } from "./cases-api.ts";

/** The types a cadre opens here (a correction is made from the household's own form). */
const TYPES = [
  "identification",
  "risk_elimination",
  "safety_net",
  "exit",
  "transfer",
  "deregistration",
] as const;
const LEAD_SOURCES = ["cadre", "self_report", "screening", "hotline"];

interface Values {
  type: string;
  category?: string;
  riskFactors?: string[];
  eliminationMethod?: string;
  targetVillage?: string;
  deregistrationReason?: string;
  leadSource: string;
  leadDate?: Dayjs;
  greenChannel?: boolean;
  assistanceStartedOn?: Dayjs;
  comment?: string;
}

export interface OpenCaseTarget {
  householdNumber: string;
  headName: string | null;
  /** The verification task the case comes from; its outcome becomes 已启动识别程序. */
  verification?: { id: number; version: number };
}

interface OpenCaseModalProps {
  target: OpenCaseTarget | undefined;
  onClose(): void;
  onOpened(c: CaseDetail): void;
}

export function OpenCaseModal({ target, onClose, onOpened }: OpenCaseModalProps) {
  const c = useCasesText();
  const { t, fieldLang } = useI18n();
  const showError = useApiError();
  const [form] = Form.useForm<Values>();
  const [saving, setSaving] = useState(false);
  const [check, setCheck] = useState<GuardReport | "checking" | null>(null);
  const [refused, setRefused] = useState<string[] | null>(null);
  const type = Form.useWatch("type", form);
  const category = Form.useWatch("category", form);
  const green = Form.useWatch("greenChannel", form);

  // Reset when the modal opens for a household (or task) — not when the parent re-renders with
  // an equal target, which would undo what the user has chosen meanwhile.
  const householdNumber = target?.householdNumber;
  const verificationId = target?.verification?.id;
  useLayoutEffect(() => {
    if (!householdNumber) return;
    form.resetFields();
    form.setFieldsValue({
      type: "identification",
      leadSource: verificationId !== undefined ? "screening" : "cadre",
    });
    setRefused(null);
  }, [householdNumber, verificationId, form]);

  // The conditions, re-checked when what they depend on changes.
  useEffect(() => {
    if (!householdNumber || !type) return;
    const ctrl = new AbortController();
    setCheck("checking");
    setRefused(null);
    casesApi
      .check(householdNumber, type, category, ctrl.signal)
      .then(setCheck)
      .catch(() => !ctrl.signal.aborted && setCheck(null));
    return () => ctrl.abort();
  }, [householdNumber, type, category]);

  const submit = async () => {
    if (!target) return;
    let v: Values;
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    setSaving(true);
    setRefused(null);
    try {
      const opened = await casesApi.open({
        householdNumber: target.householdNumber,
        type: v.type,
        ...(v.type === "identification"
          ? {
              category: v.category,
              riskFactors: v.riskFactors,
              greenChannel: Boolean(v.greenChannel),
              ...(v.greenChannel && v.assistanceStartedOn
                ? { assistanceStartedOn: v.assistanceStartedOn.format("YYYY-MM-DD") }
                : {}),
            }
          : {}),
        ...(v.type === "risk_elimination" ? { eliminationMethod: v.eliminationMethod } : {}),
        ...(v.type === "transfer" ? { targetVillage: v.targetVillage } : {}),
        ...(v.type === "deregistration" ? { deregistrationReason: v.deregistrationReason } : {}),
        leadSource: v.leadSource,
        ...(v.leadDate ? { leadDate: v.leadDate.format("YYYY-MM-DD") } : {}),
        ...(target.verification ? { verification: target.verification } : {}),
        ...(v.comment?.trim() ? { comment: v.comment.trim() } : {}),
      });
      onOpened(opened);
    } catch (e) {
      const reasons = refusalReasons(e);
      if (reasons) setRefused(reasons);
      else showError(e, { form });
    } finally {
      setSaving(false);
    }
  };

  const reasons = refused ?? (check && check !== "checking" && !check.ok ? check.reasons : null);

  return (
    <Modal
      open={target !== undefined}
      title={target ? c.openTitle(target.headName ?? target.householdNumber) : ""}
      okText={c.open}
      cancelText={t.common.cancel}
      confirmLoading={saving}
      onOk={submit}
      onCancel={onClose}
      destroyOnHidden
      width={620}
      data-testid="open-case-modal"
    >
      <Form form={form} layout="vertical" requiredMark>
        <Form.Item name="type" label={c.type} rules={[{ required: true }]}>
          <Select
            options={TYPES.map((t) => ({ value: t, label: c.types[t] }))}
            data-testid="case-type"
          />
        </Form.Item>
        {type === "identification" && (
          <>
            <Form.Item
              name="category"
              label={c.category}
              rules={[{ required: true, message: c.categoryRequired }]}
            >
              <Radio.Group data-testid="case-category">
                {MONITORING_CATEGORIES.map((m) => (
                  <Radio key={m.code} value={m.code}>
                    {vocabLabel(MONITORING_CATEGORIES, m.code, fieldLang)}
                  </Radio>
                ))}
              </Radio.Group>
            </Form.Item>
            <Form.Item
              name="riskFactors"
              label={c.risks}
              rules={[
                {
                  required: true,
                  type: "array",
                  min: 1,
                  max: 5,
                  message: c.risksRequired,
                },
              ]}
            >
              <Select
                mode="multiple"
                maxCount={5}
                showSearch={{ optionFilterProp: "label" }}
                options={RISK_FACTORS.map((r) => ({
                  value: r.code,
                  label: vocabLabel(RISK_FACTORS, r.code, fieldLang),
                }))}
                data-testid="case-risks"
              />
            </Form.Item>
            <Space align="start" wrap>
              <Form.Item name="greenChannel" valuePropName="checked">
                <Checkbox>{c.greenChannelLabel}</Checkbox>
              </Form.Item>
              {green && (
                <Form.Item name="assistanceStartedOn" label={c.assistanceStartedOn}>
                  <DatePicker disabledDate={(d) => d.isAfter(dayjs(), "day")} />
                </Form.Item>
              )}
            </Space>
          </>
        )}
        {type === "risk_elimination" && (
          <Form.Item name="eliminationMethod" label={c.eliminationMethod} initialValue="assisted">
            <Radio.Group>
              {ELIMINATION_METHODS.map((m) => (
                <Radio key={m.code} value={m.code}>
                  {vocabLabel(ELIMINATION_METHODS, m.code, fieldLang)}
                </Radio>
              ))}
            </Radio.Group>
          </Form.Item>
        )}
        {type === "transfer" && (
          <Form.Item
            name="targetVillage"
            label={c.targetVillage}
            rules={[{ required: true, pattern: /^\d{12}$/, message: c.targetVillageRequired }]}
          >
            <Input maxLength={12} className="mono" />
          </Form.Item>
        )}
        {type === "deregistration" && (
          <Form.Item
            name="deregistrationReason"
            label={c.deregistrationReason}
            rules={[{ required: true, message: c.deregistrationReason }]}
          >
            <Radio.Group>
              {Object.entries(c.deregistrationReasons).map(([k, label]) => (
                <Radio key={k} value={k}>
                  {label}
                </Radio>
              ))}
            </Radio.Group>
          </Form.Item>
        )}
        <Space wrap>
          <Form.Item name="leadSource" label={c.leadSource} style={{ minWidth: 200 }}>
            <Select options={LEAD_SOURCES.map((s) => ({ value: s, label: c.leadSources[s] }))} />
          </Form.Item>
          <Form.Item name="leadDate" label={c.leadDate}>
            <DatePicker disabledDate={(d) => d.isAfter(dayjs(), "day")} />
          </Form.Item>
        </Space>
        <Form.Item name="comment" label={c.comment}>
          <Input.TextArea rows={2} maxLength={2000} placeholder={c.commentPlaceholder} />
        </Form.Item>
      </Form>
      {reasons ? (
        <ReasonsAlert title={c.refused} reasons={reasons} />
      ) : check === "checking" ? (
        <Typography.Text type="secondary">
          <LoadingOutlined /> {c.checking}
        </Typography.Text>
      ) : check?.ok ? (
        <Typography.Text type="success" data-testid="case-check-ok">
          <CheckCircleOutlined /> {c.checkOk}
        </Typography.Text>
      ) : null}
    </Modal>
  );
}
