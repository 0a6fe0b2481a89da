/** 登记核实结果: the outcome of a verification visit; dismissing needs a reason. */
import { Form, Input, Modal, Radio, Space, Typography } from "antd";
import { useLayoutEffect, useState } from "react";
import { useApiError } from "../components/use-api-error.tsx";
import { useI18n } from "../i18n/i18n.tsx";
import { monitoringApi, type Outcome, type Signal } from "./monitoring-api.ts";

const OUTCOMES: Outcome[] = ["case_opened", "already_monitored", "dismissed"];

interface OutcomeModalProps {
  signal: Signal | undefined;
  onClose(): void;
  onSaved(): void;
  /** After a conflict, when the user chooses to reload. */
  onReload(): void;
}

export function OutcomeModal({ signal, onClose, onSaved, onReload }: OutcomeModalProps) {
  const { t } = useI18n();
  const showError = useApiError();
  const [form] = Form.useForm<{ outcome: Outcome; reason?: string }>();
  const [saving, setSaving] = useState(false);
  const outcome = Form.useWatch("outcome", form);

  useLayoutEffect(() => {
    if (signal) form.resetFields();
  }, [signal, form]);

  const submit = async () => {
    const task = signal?.verification;
    if (!task) return;
    let values: { outcome: Outcome; reason?: string };
    try {
      values = await form.validateFields();
    } catch {
      return; // the form shows what is missing
    }
    setSaving(true);
    try {
      const reason = values.reason?.trim();
      await monitoringApi.recordOutcome(task.id, {
        version: task.version,
        outcome: values.outcome,
        reason: reason ? reason : undefined,
      });
      onSaved();
    } catch (e) {
      showError(e, {
        form,
        onReload,
        conflict: { title: t.errors.taskConflictTitle, content: t.errors.taskConflictContent },
      });
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      open={signal !== undefined}
      title={signal ? t.monitoring.recordTitle(signal.headName ?? signal.householdNumber) : ""}
      okText={t.common.save}
      cancelText={t.common.cancel}
      confirmLoading={saving}
      onOk={submit}
      onCancel={onClose}
      destroyOnHidden
      width={560}
      data-testid="outcome-modal"
    >
      {signal && (
        <div className="outcome-modal__signal">
          <Typography.Text strong>{signal.name}</Typography.Text>
          <Typography.Paragraph type="secondary" style={{ margin: "4px 0 0" }}>
            {signal.householdNumber} · {signal.message}
          </Typography.Paragraph>
        </div>
      )}
      <Form form={form} layout="vertical" requiredMark>
        <Form.Item
          name="outcome"
          label={t.monitoring.outcome}
          rules={[{ required: true, message: t.monitoring.outcomeRequired }]}
        >
          <Radio.Group>
            <Space orientation="vertical">
              {OUTCOMES.map((o) => (
                <Radio key={o} value={o} data-testid={`outcome-${o}`}>
                  <span>{t.monitoring.outcomes[o]}</span>
                  <Typography.Text type="secondary" className="outcome-modal__hint">
                    {t.monitoring.outcomeHints[o]}
                  </Typography.Text>
                </Radio>
              ))}
            </Space>
          </Radio.Group>
        </Form.Item>
        <Form.Item
          name="reason"
          label={t.monitoring.reason}
          required={outcome === "dismissed"}
          dependencies={["outcome"]}
          rules={[
            ({ getFieldValue }) => ({
              validator: (_, value: string | undefined) =>
                getFieldValue("outcome") === "dismissed" && (value ?? "").trim().length < 2
                  ? Promise.reject(new Error(t.monitoring.reasonRequired))
                  : Promise.resolve(),
            }),
          ]}
        >
          <Input.TextArea
            rows={3}
            maxLength={1000}
            showCount
            placeholder={t.monitoring.reasonPlaceholder}
            data-testid="outcome-reason"
          />
        </Form.Item>
      </Form>
    </Modal>
  );
}
