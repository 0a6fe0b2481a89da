/** 减员 — a member leaves the household (death, moving away …); the record stays with the reason. */
import { App, DatePicker, Form, Input, Modal, Select } from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { useEffect, useState } from "react";
import { MEMBER_REMOVAL_REASONS } from "../../../src/core/vocab.ts";
import type { HouseholdDetail, MemberView } from "../api/types.ts";
import { useApiError } from "../components/use-api-error.tsx";
import { useI18n } from "../i18n/i18n.tsx";
import { vocabLabel } from "./fields.ts";
import { householdApi, reasonOf } from "./household-api.ts";

interface RemoveForm {
  reason: string;
  on: Dayjs | null;
  note?: string;
}

interface RemoveMemberProps {
  member: MemberView | undefined;
  detail: HouseholdDetail;
  onClose(): void;
  onSaved(detail: HouseholdDetail): void;
  onReload(): void;
}

export function RemoveMember({ member, detail, onClose, onSaved, onReload }: RemoveMemberProps) {
  const { t, fieldLang } = useI18n();
  const { message } = App.useApp();
  const showError = useApiError();
  const [form] = Form.useForm<RemoveForm>();
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    if (member) form.setFieldsValue({ reason: undefined, on: dayjs(), note: undefined });
  }, [member, form]);

  const save = async () => {
    if (!member) return;
    let v: RemoveForm;
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    setSaving(true);
    try {
      const next = await householdApi.removeMember(detail.household.householdNumber, member.id, {
        version: detail.household.version,
        reason: v.reason,
        on: v.on ? v.on.format("YYYY-MM-DD") : undefined,
        note: reasonOf(v.note),
      });
      message.success(t.common.saved);
      onSaved(next);
    } catch (e) {
      showError(e, { form, onReload });
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      title={t.members.removeTitle(member?.name ?? "")}
      open={member !== undefined}
      onCancel={onClose}
      onOk={save}
      okText={t.members.removeConfirm}
      okButtonProps={{ danger: true, loading: saving }}
      cancelText={t.common.cancel}
      destroyOnHidden
    >
      <Form form={form} layout="vertical">
        <Form.Item
          name="reason"
          label={t.members.removeReason}
          rules={[{ required: true, message: t.members.removeReasonRequired }]}
        >
          <Select
            placeholder={t.form.selectPlaceholder}
            options={MEMBER_REMOVAL_REASONS.map((r) => ({
              value: r.code,
              label: vocabLabel(MEMBER_REMOVAL_REASONS, r.code, fieldLang),
            }))}
          />
        </Form.Item>
        <Form.Item name="on" label={t.members.removeOn}>
          <DatePicker style={{ width: "100%" }} disabledDate={(d) => d.isAfter(dayjs(), "day")} />
        </Form.Item>
        <Form.Item name="note" label={t.members.removeNote}>
          <Input.TextArea rows={3} maxLength={500} placeholder={t.form.reasonPlaceholder} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
