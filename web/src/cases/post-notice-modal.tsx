/**
 * 张贴公示 — posts one village's notice for cases at their notice step, then offers the printable
 * A4 notice and the village's public page.
 */
import { GlobalOutlined, PrinterOutlined } from "@ant-design/icons";
import { Button, Checkbox, DatePicker, Form, Input, Modal, Result, Select, Space } from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { useLayoutEffect, useMemo, useState } from "react";
import { useApiError } from "../components/use-api-error.tsx";
import { useI18n } from "../i18n/i18n.tsx";
import { ReasonsAlert } from "./case-tags.tsx";
import { useCasesText } from "./cases.i18n.ts";
import { type CaseListItem, casesApi, type NoticeBatchView, refusalReasons } from "./cases-api.ts";

interface Values {
  village: string;
  cases: string[];
  deliberationDate?: Dayjs;
  villagePhone?: string;
  townPhone?: string;
}

interface PostNoticeModalProps {
  open: boolean;
  /** Cases at their notice step (the choice). */
  candidates: CaseListItem[];
  /** Chosen beforehand (rows selected in the work list). */
  preselected?: string[];
  onClose(): void;
  onPosted(batch: NoticeBatchView): void;
}

export function PostNoticeModal({
  open,
  candidates,
  preselected = [],
  onClose,
  onPosted,
}: PostNoticeModalProps) {
  const c = useCasesText();
  const { t } = useI18n();
  const showError = useApiError();
  const [form] = Form.useForm<Values>();
  const [saving, setSaving] = useState(false);
  const [posted, setPosted] = useState<NoticeBatchView | null>(null);
  const [refused, setRefused] = useState<string[] | null>(null);
  const village = Form.useWatch("village", form);

  const villages = useMemo(() => {
    const m = new Map<string, string>();
    for (const x of candidates) m.set(x.villageCode, x.villageName ?? x.villageCode);
    return [...m].map(([value, label]) => ({ value, label }));
  }, [candidates]);

  // Before the opened dialog is painted (a layout effect): a passive effect can run after the
  // user's first choices, under load, and wipe them.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset when the dialog opens
  useLayoutEffect(() => {
    if (!open) return;
    setPosted(null);
    setRefused(null);
    form.resetFields();
    const chosen = candidates.filter((x) => preselected.includes(x.case));
    const first =
      chosen[0]?.villageCode ?? (villages.length === 1 ? villages[0]!.value : undefined);
    form.setFieldsValue({
      village: first,
      cases: chosen.filter((x) => x.villageCode === first).map((x) => x.case),
    });
  }, [open]);

  const inVillage = candidates.filter((x) => x.villageCode === village);

  const submit = async () => {
    if (posted) {
      onClose();
      return;
    }
    let v: Values;
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    setSaving(true);
    setRefused(null);
    try {
      const batch = await casesApi.postNotice({
        village: v.village,
        cases: v.cases,
        ...(v.deliberationDate
          ? { deliberationDate: v.deliberationDate.format("YYYY-MM-DD") }
          : {}),
        ...(v.villagePhone?.trim() ? { villagePhone: v.villagePhone.trim() } : {}),
        ...(v.townPhone?.trim() ? { townPhone: v.townPhone.trim() } : {}),
      });
      setPosted(batch);
      onPosted(batch);
    } catch (e) {
      const reasons = refusalReasons(e);
      if (reasons) setRefused(reasons);
      else showError(e, { form });
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      open={open}
      title={c.startBatchTitle}
      okText={posted ? t.common.confirm : c.postNotice}
      cancelText={t.common.cancel}
      cancelButtonProps={posted ? { style: { display: "none" } } : undefined}
      confirmLoading={saving}
      onOk={submit}
      onCancel={onClose}
      destroyOnHidden
      width={620}
      data-testid="post-notice-modal"
    >
      {posted ? (
        <Result
          status="success"
          title={c.posted}
          subTitle={`${posted.title} · ${c.noticePosted(posted.startsOn, posted.endsOn)}`}
          extra={
            <Space wrap>
              <Button
                icon={<PrinterOutlined />}
                href={casesApi.printUrl(posted.id)}
                target="_blank"
                data-testid="print-notice"
              >
                {c.printNotice}
              </Button>
              <Button
                icon={<GlobalOutlined />}
                href={casesApi.publicUrl(posted.villageCode)}
                target="_blank"
                data-testid="public-page"
              >
                {c.publicPage}
              </Button>
            </Space>
          }
        />
      ) : (
        <Form form={form} layout="vertical" requiredMark>
          <Form.Item
            name="village"
            label={c.village}
            rules={[{ required: true, message: c.villageRequired }]}
          >
            <Select
              options={villages}
              onChange={() => form.setFieldValue("cases", [])}
              data-testid="notice-village"
            />
          </Form.Item>
          <Form.Item
            name="cases"
            label={c.casesAtNotice}
            rules={[{ required: true, type: "array", min: 1, message: c.casesRequired }]}
          >
            {inVillage.length === 0 ? (
              <span className="muted">{c.noCasesAtNotice}</span>
            ) : (
              <Checkbox.Group className="notice-cases">
                {inVillage.map((x) => (
                  <Checkbox key={x.case} value={x.case}>
                    {x.headName ?? x.household}{" "}
                    <span className="muted mono">
                      {x.household} · {c.types[x.type] ?? x.typeName}
                    </span>
                  </Checkbox>
                ))}
              </Checkbox.Group>
            )}
          </Form.Item>
          <Space wrap>
            <Form.Item name="deliberationDate" label={c.deliberationDate}>
              <DatePicker disabledDate={(d) => d.isAfter(dayjs(), "day")} />
            </Form.Item>
            <Form.Item name="villagePhone" label={c.villagePhone}>
              <Input maxLength={40} />
            </Form.Item>
            <Form.Item name="townPhone" label={c.townPhone}>
              <Input maxLength={40} />
            </Form.Item>
          </Space>
          {refused && <ReasonsAlert title={c.refusedTitle} reasons={refused} />}
        </Form>
      )}
    </Modal>
  );
}
