/**
 * 指派核实: sends the chosen verification tasks to each household's town or village, or to one
 * town or village picked from the tree (the server refuses one outside a household's location).
 */
import { Alert, Form, Modal, Radio, Space, TreeSelect, Typography } from "antd";
import { useCallback, useEffect, useLayoutEffect, useState } from "react";
import { ApiError, api } from "../api/client.ts";
import type { RegionView } from "../api/types.ts";
import { errorText, useApiError } from "../components/use-api-error.tsx";
import { useI18n } from "../i18n/i18n.tsx";
import { monitoringApi, type Signal } from "./monitoring-api.ts";

type Mode = "town" | "village" | "region";

interface RegionOption {
  id: string;
  pId?: string;
  value: string;
  title: string;
  isLeaf: boolean;
}

interface AssignModalProps {
  open: boolean;
  signals: Signal[];
  /** The user's region: the tree starts there. */
  root: string;
  onClose(): void;
  /** After the requests, with the number assigned. */
  onDone(assigned: number): void;
}

/** Where one task goes in a mode. */
function targetOf(mode: Mode, s: Signal, region: string | undefined): string | undefined {
  if (mode === "town") return s.villageCode.slice(0, 9);
  if (mode === "village") return s.villageCode;
  return region;
}

export function AssignModal({ open, signals, root, onClose, onDone }: AssignModalProps) {
  const { t } = useI18n();
  const showError = useApiError();
  const [mode, setMode] = useState<Mode>("town");
  const [region, setRegion] = useState<string | undefined>(undefined);
  const [nodes, setNodes] = useState<RegionOption[]>([]);
  const [saving, setSaving] = useState(false);
  const [failures, setFailures] = useState<string[]>([]);
  const [regionError, setRegionError] = useState(false);

  // Reset before the dialog is painted: a passive effect could run after the first choice under
  // load and undo it (the task then went to the town instead of the village chosen).
  useLayoutEffect(() => {
    if (!open) return;
    setMode(root.length >= 9 ? "village" : "town");
    setRegion(undefined);
    setFailures([]);
    setRegionError(false);
  }, [open, root]);

  const children = useCallback(async (code: string): Promise<RegionOption[]> => {
    const view = await api.get<RegionView>(`/api/regions/${code}`);
    return view.children.map((c) => ({
      id: c.code,
      pId: code,
      value: c.code,
      title: c.name,
      isLeaf: c.code.length >= 12,
    }));
  }, []);

  // The tree: the towns (or villages) below the user's region, more as they open.
  useEffect(() => {
    if (!open || nodes.length > 0) return;
    children(root)
      .then((list) => setNodes(list.map((n) => ({ ...n, pId: undefined }))))
      .catch((e: unknown) => showError(e));
  }, [open, root, nodes.length, children, showError]);

  const submit = async () => {
    if (mode === "region" && !region) {
      setRegionError(true);
      return;
    }
    setSaving(true);
    const failed: string[] = [];
    let assigned = 0;
    for (const s of signals) {
      const task = s.verification;
      const target = targetOf(mode, s, region);
      if (!task || !target) continue;
      try {
        await monitoringApi.assign(task.id, { version: task.version, region: target });
        assigned++;
      } catch (e) {
        if (e instanceof ApiError && e.isSignedOut) break;
        failed.push(`${s.householdNumber} ${s.headName ?? ""}：${errorText(e, t)}`);
      }
    }
    setSaving(false);
    setFailures(failed);
    onDone(assigned);
    if (failed.length === 0) onClose();
  };

  return (
    <Modal
      open={open}
      title={t.monitoring.assignTitle(signals.length)}
      okText={t.common.confirm}
      cancelText={t.common.cancel}
      confirmLoading={saving}
      onOk={submit}
      onCancel={onClose}
      destroyOnHidden
      width={560}
      data-testid="assign-modal"
    >
      <Typography.Paragraph type="secondary">{t.monitoring.assignHint}</Typography.Paragraph>
      <Form layout="vertical">
        <Form.Item>
          <Radio.Group value={mode} onChange={(e) => setMode(e.target.value as Mode)}>
            <Space orientation="vertical">
              {root.length < 9 && (
                <Radio value="town" data-testid="assign-town">
                  {t.monitoring.assignToTown}
                </Radio>
              )}
              <Radio value="village" data-testid="assign-village">
                {t.monitoring.assignToVillage}
              </Radio>
              <Radio value="region" data-testid="assign-region">
                {t.monitoring.assignToRegion}
              </Radio>
            </Space>
          </Radio.Group>
        </Form.Item>
        {mode === "region" && (
          <Form.Item
            validateStatus={regionError ? "error" : undefined}
            help={regionError ? t.monitoring.assignRegionRequired : undefined}
          >
            <TreeSelect<string>
              treeDataSimpleMode
              treeData={nodes}
              value={region}
              onChange={(v) => {
                setRegion(v);
                setRegionError(false);
              }}
              loadData={async (node) => {
                const code = String(node.value);
                if (nodes.some((n) => n.pId === code)) return;
                const list = await children(code).catch(() => []);
                setNodes((prev) => [...prev, ...list]);
              }}
              placeholder={t.monitoring.assignRegionRequired}
              style={{ width: "100%" }}
              showSearch={false}
              data-testid="assign-tree"
            />
          </Form.Item>
        )}
      </Form>
      {failures.length > 0 && (
        <Alert
          type="error"
          showIcon
          title={t.monitoring.assignFailed(failures.length)}
          description={
            <ul className="assign-failures">
              {failures.map((f) => (
                <li key={f}>{f}</li>
              ))}
            </ul>
          }
        />
      )}
    </Modal>
  );
}
